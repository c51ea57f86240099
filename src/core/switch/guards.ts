/**
 * Preflight guards of a switch, checked in order before anything is created (karpenter's validation just
 * before a command runs): mode allows it, the global pause is off, the account's breaker is closed, the
 * approval is there and fresh, the instance is opted in and running, no other switch is active on it, and
 * there is a usable target pool. Read-only: `--dry-run` prints the result.
 */

import type { ControlService } from "../control/service.js";
import { asCodedError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Ec2Instance, Ec2Port } from "../ports/ec2.js";
import { type PoolKey, poolId } from "../types.js";
import { withRetries } from "./run.js";
import { TAG_HEALTH_URL, TAG_MANAGED } from "./steps.js";
import type { SagaContext, SagaStore, SwitchRequest, SwitchSettings, TargetGroupPort } from "./types.js";

export type PreflightResult =
  | {
      ok: true;
      fromPool: string;
      targets: PoolKey[];
      context: SagaContext;
      tg?: TargetGroupPort;
      /** One line: what will happen. */
      summary: string;
      /** The steps that will run, for --dry-run. */
      plan: string[];
      checks: string[];
    }
  | { ok: false; code: string; reason: string; checks: string[] };

interface GuardDeps {
  control: ControlService;
  store: SagaStore;
  clock: Clock;
  settings: SwitchSettings;
}

/** The instance as EC2 describes it; a port that already knows the user data (the sim) may pass it along. */
export type SourceInstance = Ec2Instance & { userData?: string };

export async function preflight(
  req: SwitchRequest,
  ec2: Ec2Port,
  tg: TargetGroupPort | undefined,
  deps: GuardDeps,
): Promise<PreflightResult> {
  const checks: string[] = [];
  const retry = <T>(fn: () => Promise<T>) => withRetries(deps.clock, deps.settings.maxCallRetries, fn);
  const no = (code: string, reason: string): PreflightResult => ({ ok: false, code, reason, checks });

  const gate = await deps.control.gate(req.accountId);
  if (!gate.ok) return no(gate.code, gate.reason);
  checks.push("mode approve, not paused, circuit breaker closed");

  const now = deps.clock.now();
  if (!req.approval)
    return no("forbidden", "no approval: a switch needs an approval (Slack Approve, or --yes on the CLI)");
  if (req.approval.expiresAt <= now) {
    return no(
      "approval_expired",
      `the approval by ${req.approval.approvedBy} expired at ${new Date(req.approval.expiresAt).toISOString()}; wait for the next recommendation or approve again`,
    );
  }
  checks.push(`approved by ${req.approval.approvedBy}`);

  const budget = await deps.control.budget();
  if (budget.used >= budget.limit) {
    return no(
      "budget_exhausted",
      `daily switch budget of ${budget.limit} is used up; it resets at 00:00 UTC (raise switch.dailyBudget to allow more)`,
    );
  }
  checks.push(`daily budget ${budget.used}/${budget.limit} used`);

  if (req.targets.length === 0) return no("invalid_input", "no target pool given");
  let instance: SourceInstance | undefined;
  try {
    [instance] = await retry(() => ec2.describeInstances({ instanceIds: [req.instanceId] }));
  } catch (e) {
    const err = asCodedError(e);
    if (err.code !== "not_found") return no(err.code, err.message);
  }
  if (!instance) return no("not_found", `instance ${req.instanceId} not found in ${req.accountId}/${req.region}`);
  if (instance.tags[TAG_MANAGED] !== "true") {
    return no(
      "forbidden",
      `instance ${req.instanceId} is not opted in: tag it ${TAG_MANAGED}=true to let spotwise switch it`,
    );
  }
  if (instance.state !== "running") {
    return no("conflict", `instance ${req.instanceId} is ${instance.state}; only running instances are switched`);
  }
  checks.push(`${req.instanceId} is running and tagged ${TAG_MANAGED}=true`);

  // DescribeInstances carries no user data on AWS: read it so the replacement boots the same way
  let userData = instance.userData;
  if (userData === undefined) {
    try {
      const r = await retry(() => ec2.getUserData({ instanceId: req.instanceId }));
      userData = r.userData;
      checks.push(
        `user data of ${req.instanceId}: ${userData === undefined ? "none" : `${new TextEncoder().encode(userData).length} bytes, copied to the replacement`}${r.requestId ? ` (request ${r.requestId})` : ""}`,
      );
    } catch (e) {
      const err = asCodedError(e);
      return no(
        err.code,
        `cannot read the user data of ${req.instanceId} to copy it to the replacement: ${err.message}`,
      );
    }
  }

  const active = await deps.store.findActiveByInstance(req.instanceId);
  if (active) {
    return no(
      "lease_held",
      `instance ${req.instanceId} already has a switch in flight (${active.id}, ${active.state})`,
    );
  }

  const stuck = (await deps.store.listNeedsAttention()).find((s) => s.instanceId === req.instanceId);
  if (stuck) {
    return no(
      "conflict",
      `instance ${req.instanceId} has a switch that needs attention (${stuck.id}: ${stuck.error ?? "see the audit log"}); resolve it and run \`spotwise resume ${stuck.id}\` first`,
    );
  }

  const fromPool = poolId({ region: req.region, az: instance.az, instanceType: instance.instanceType });
  const subnetForAz = deps.settings.subnets[req.accountId] ?? {};
  const skipped: string[] = [];
  const targets = req.targets.filter((t) => {
    if (t.region !== req.region) {
      skipped.push(`${poolId(t)} (other region)`);
      return false;
    }
    if (poolId(t) === fromPool) {
      skipped.push(`${poolId(t)} (current pool)`);
      return false;
    }
    if (t.az !== instance.az && !subnetForAz[t.az]) {
      skipped.push(`${poolId(t)} (no subnet configured for ${t.az}: add accounts[].subnets.${t.az})`);
      return false;
    }
    return true;
  });
  if (targets.length === 0) return no("invalid_input", `no usable target pool: ${skipped.join("; ")}`);
  checks.push(
    `target pools: ${targets.map(poolId).join(", ")}${skipped.length ? ` (skipped ${skipped.join("; ")})` : ""}`,
  );

  const addresses = (await retry(() => ec2.describeAddresses({ instanceId: req.instanceId }))).map((a) => ({
    allocationId: a.allocationId,
    publicIp: a.publicIp,
  }));
  const targetGroups = tg ? await retry(() => tg.targetGroupsOf(req.instanceId)) : [];
  const healthUrl = deps.settings.healthCheckUrl ?? instance.tags[TAG_HEALTH_URL];
  const context: SagaContext = {
    source: {
      instanceType: instance.instanceType,
      az: instance.az,
      lifecycle: instance.lifecycle,
      subnetId: instance.subnetId,
      securityGroupIds: instance.securityGroupIds,
      iamInstanceProfileArn: instance.iamInstanceProfileArn,
      keyName: instance.keyName,
      userData,
      privateIp: instance.privateIp,
      tags: instance.tags,
    },
    addresses,
    targetGroups,
    healthUrl,
    noReboot: deps.settings.noReboot,
    phaseStartedAt: {},
    launchAttempts: [],
    moved: { eips: [], targetGroups: [] },
    approval: req.approval,
    subnetForAz,
  };
  const first = targets[0] as PoolKey;
  const plan = [
    `create image of ${req.instanceId} (NoReboot=${deps.settings.noReboot}), wait until available (≤ ${min(deps.settings.imageDeadlineMs)} min)`,
    `launch spot ${first.instanceType} in ${first.az}${targets.length > 1 ? ` (then ${targets.slice(1).map(poolId).join(", ")} on InsufficientInstanceCapacity)` : ""}`,
    `wait running + status checks (≤ ${min(deps.settings.launchDeadlineMs)} min)${healthUrl ? `, health check ${healthUrl} (≤ ${min(deps.settings.healthDeadlineMs)} min)` : ""}`,
    `move ${addresses.length} Elastic IP(s) and ${targetGroups.length} target group(s)`,
    `terminate ${req.instanceId}`,
    `delete the image after ${Math.round(deps.settings.imageRetentionMs / 3600_000)} h`,
  ];
  return {
    ok: true,
    fromPool,
    targets,
    context,
    tg,
    summary: `${req.instanceId} ${fromPool} → ${poolId(first)}`,
    plan,
    checks,
  };
}

const min = (ms: number) => Math.round(ms / 60_000);

/**
 * Preflight guards of a switch, checked in order before anything is created (karpenter's validation just
 * before a command runs): mode allows it, the global pause is off, the account's breaker is closed, the
 * approval is there and fresh, the instance is opted in and running, no other switch is active on it, and
 * there is a usable target pool. Read-only: `--dry-run` prints the result.
 */

import type { ControlService } from "../control/service.js";
import { asCodedError, CodedError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Ec2Instance, Ec2Port } from "../ports/ec2.js";
import { type InstanceTypeInfo, type PoolKey, poolId } from "../types.js";
import { dataVolumeMode, identityPlan, type LaunchIdentity, movedVolumes } from "./identity.js";
import { withRetries } from "./run.js";
import { TAG_HEALTH_URL, TAG_MANAGED } from "./steps.js";
import type { SagaContext, SagaRecord, SagaStore, SwitchRequest, SwitchSettings, TargetGroupPort } from "./types.js";

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
      /** What the replacement cannot reproduce (also in the plan and the recommendation). */
      notCarried: string[];
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
  opts: { advice?: boolean } = {},
): Promise<PreflightResult> {
  const checks: string[] = [];
  const retry = <T>(fn: () => Promise<T>) => withRetries(deps.clock, deps.settings.maxCallRetries, fn);
  const no = (code: string, reason: string): PreflightResult => ({ ok: false, code, reason, checks });

  // advice (the plan a recommendation shows) is made in any mode and before anyone approved: only the instance
  // and its targets are checked
  if (!opts.advice) {
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
  }

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
  // data volumes kept on termination are moved: the instance is stopped for it, and a volume stays in its AZ
  const data = (instance.blockDevices ?? []).filter(
    (b) => b.deviceName !== instance.rootDeviceName && !b.deleteOnTermination,
  );
  const dataText = data.map((v) => `${v.volumeId} at ${v.deviceName}`).join(", ");
  if (data.length && instance.lifecycle === "spot") {
    return no(
      "invalid_input",
      `${req.instanceId} is a Spot Instance with data volume(s) kept on termination (${dataText}): moving them needs the instance stopped so they take no more writes, and EC2 cannot stop a one-time Spot Instance (UnsupportedOperation). Switch it by hand, or set DeleteOnTermination=true if the data is disposable`,
    );
  }
  const targets = req.targets.filter((t) => {
    if (data.length && t.az !== instance.az) {
      skipped.push(
        `${poolId(t)} (data volume(s) ${data.map((v) => v.volumeId).join(", ")} live in ${instance.az}; an EBS volume attaches only in its own AZ)`,
      );
      return false;
    }
    if (t.region !== req.region) {
      skipped.push(`${poolId(t)} (other region)`);
      return false;
    }
    // an on-demand instance may move to spot capacity of its own type and AZ: the pool is new to it
    if (poolId(t) === fromPool && instance.lifecycle === "spot") {
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

  // what EC2 would refuse after imaging (which reboots) is refused now: types, offerings, architecture
  const types = await checkTypes(req, instance, targets, ec2, retry);
  if (!types.ok) return no(types.code, types.reason);
  const usable = targets.filter((t) => !types.skip.has(poolId(t)));
  skipped.push(...types.skip.values());
  if (usable.length === 0) return no("invalid_input", `no usable target pool: ${skipped.join("; ")}`);
  checks.push(
    `target pools: ${usable.map(poolId).join(", ")}${skipped.length ? ` (skipped ${skipped.join("; ")})` : ""}`,
  );
  checks.push(
    `instance types exist, are offered in their AZ and run ${types.architecture} (${instance.virtualizationType ?? "hvm"}) images`,
  );

  const attrs = await retry(() =>
    ec2.describeLaunchAttributes({
      instanceId: req.instanceId,
      burstable: types.sourceBurstable,
      stop: data.length > 0,
    }),
  );
  const volumes = await retry(() =>
    ec2.describeVolumes({ volumeIds: (instance.blockDevices ?? []).map((b) => b.volumeId) }),
  );
  const launch: LaunchIdentity = {
    architecture: types.architecture,
    virtualizationType: instance.virtualizationType,
    metadataOptions: instance.metadataOptions,
    ebsOptimized: instance.ebsOptimized,
    monitoring: instance.monitoring,
    sourceDestCheck: instance.sourceDestCheck,
    placement: instance.placement,
    cpuOptions: instance.cpuOptions,
    creditSpecification: attrs.creditSpecification,
    hibernation: instance.hibernation,
    shutdownBehavior: attrs.shutdownBehavior,
    disableApiTermination: attrs.disableApiTermination,
    privateIps: instance.privateIps ?? (instance.privateIp ? [{ privateIp: instance.privateIp, primary: true }] : []),
    networkInterfaceCount: instance.networkInterfaceCount,
    rootDeviceName: instance.rootDeviceName,
    volumes: (instance.blockDevices ?? []).map((b) => ({
      ...b,
      tags: volumes.find((v) => v.volumeId === b.volumeId)?.tags ?? {},
    })),
    burstableTargets: types.burstable,
  };
  if (data.length && attrs.disableApiStop) {
    return no(
      "invalid_input",
      `${req.instanceId} has stop protection (DisableApiStop) and data volume(s) ${dataText} that move only while it is stopped; turn stop protection off to let spotwise stop it, then switch again`,
    );
  }
  for (const v of movedVolumes(launch)) {
    const atts = volumes.find((x) => x.volumeId === v.volumeId)?.attachments ?? [];
    if (atts.length > 1) {
      return no(
        "invalid_input",
        `data volume ${v.volumeId} is attached to ${atts.length} instances (Multi-Attach): spotwise does not move it; switch this instance by hand`,
      );
    }
    const a = atts[0];
    if (a?.instanceId !== req.instanceId || a.state !== "attached") {
      return no(
        "conflict",
        `data volume ${v.volumeId} of ${req.instanceId} is ${a ? `${a.state} to ${a.instanceId}` : "not attached"}; wait until it is attached at ${v.deviceName}, then switch again`,
      );
    }
  }
  if (data.length)
    checks.push(`data volume(s) ${dataText} attached; moved to the replacement with the instance stopped`);
  checks.push(
    `${req.instanceId} state running; termination protection ${attrs.disableApiTermination ? "on (turned off only right before the old instance is terminated)" : "off"}`,
  );

  const addresses = (await retry(() => ec2.describeAddresses({ instanceId: req.instanceId }))).map((a) => ({
    allocationId: a.allocationId,
    publicIp: a.publicIp,
    privateIp: a.privateIp,
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
      launch,
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
  const first = usable[0] as PoolKey;
  const identity = identityPlan(launch, {
    sourceType: instance.instanceType,
    target: first,
    sameSubnet: first.az === instance.az,
    addresses,
  });
  const mode = dataVolumeMode(launch);
  const health = `health check ${healthUrl} (≤ ${min(deps.settings.healthDeadlineMs)} min)`;
  const plan = [
    `create image of ${req.instanceId}${data.length ? " (root volume only)" : ""} (NoReboot=${deps.settings.noReboot}), wait until available (≤ ${min(deps.settings.imageDeadlineMs)} min)`,
    `launch spot ${first.instanceType} in ${first.az}${usable.length > 1 ? ` (then ${usable.slice(1).map(poolId).join(", ")} on InsufficientInstanceCapacity)` : ""}`,
    `wait running + status checks (≤ ${min(deps.settings.launchDeadlineMs)} min)${healthUrl && !data.length ? `, ${health}` : ""}`,
    ...(data.length
      ? [
          `check the replacement again, stop ${req.instanceId} (its writes stop; it is down until the replacement takes over), detach ${dataText} and attach each to the replacement at the same device, describe them again (≤ ${min(deps.settings.launchDeadlineMs)} min)${healthUrl ? `, then ${health} with its data` : ""}`,
        ]
      : []),
    `check the replacement again, then move ${addresses.length} Elastic IP(s) and ${targetGroups.length} target group(s)`,
    `check the replacement again, then terminate ${req.instanceId}${launch.disableApiTermination ? " (turning its termination protection off first)" : ""}`,
    `delete the image after ${Math.round(deps.settings.imageRetentionMs / 3600_000)} h`,
    ...identity.carried.map((c) => `carry over: ${c}`),
    ...identity.notCarried.map((c) => `NOT carried over: ${c}`),
  ];
  return {
    ok: true,
    fromPool,
    targets: usable,
    context,
    tg,
    summary: `${req.instanceId} ${fromPool} → ${poolId(first)}${mode ? ` (${mode})` : ""}${identity.notCarried.length ? ` (not carried over: ${identity.notCarried.map((n) => n.split(" (")[0]).join(", ")})` : ""}`,
    plan,
    checks,
    notCarried: identity.notCarried,
  };
}

interface TypeCheck {
  ok: true;
  skip: Map<string, string>;
  architecture: string;
  sourceBurstable: boolean;
  burstable: string[];
}

/**
 * DescribeInstanceTypes for the source and every target type, and DescribeInstanceTypeOfferings per target AZ:
 * a type that does not exist, is not offered in its AZ, or cannot run the image (architecture, virtualization)
 * is skipped with the reason; none left is invalid input (never counted against the breaker).
 */
async function checkTypes(
  req: SwitchRequest,
  instance: SourceInstance,
  targets: PoolKey[],
  ec2: Ec2Port,
  retry: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<TypeCheck | { ok: false; code: string; reason: string }> {
  const skip = new Map<string, string>();
  const info = new Map<string, InstanceTypeInfo>();
  for (const type of new Set([instance.instanceType, ...targets.map((t) => t.instanceType)])) {
    try {
      const [t] = (await retry(() => ec2.describeInstanceTypes({ instanceTypes: [type] }))).types;
      if (t) info.set(type, t);
    } catch (e) {
      const err = asCodedError(e);
      if (err.code !== "invalid_input") return { ok: false, code: err.code, reason: err.message };
    }
  }
  const source = info.get(instance.instanceType);
  const architecture = instance.architecture ?? source?.architectures[0] ?? "x86_64";
  const virtualization = instance.virtualizationType ?? "hvm";
  const byAz = new Map<string, string[]>();
  for (const t of targets) byAz.set(t.az, [...(byAz.get(t.az) ?? []), t.instanceType]);
  const offered = new Set<string>();
  for (const [az, types] of byAz) {
    for (const t of await retry(() => ec2.describeInstanceTypeOfferings({ az, instanceTypes: [...new Set(types)] }))) {
      offered.add(`${az}/${t}`);
    }
  }
  for (const t of targets) {
    const ti = info.get(t.instanceType);
    const id = poolId(t);
    if (!ti) skip.set(id, `${id} (instance type ${t.instanceType} does not exist in ${req.region})`);
    else if (!offered.has(`${t.az}/${t.instanceType}`))
      skip.set(id, `${id} (${t.instanceType} is not offered in ${t.az})`);
    else if (!ti.architectures.includes(architecture)) {
      skip.set(id, `${id} (${t.instanceType} is ${ti.architectures.join("/")}, the image is ${architecture})`);
    } else if (ti.virtualizationTypes && !ti.virtualizationTypes.includes(virtualization)) {
      skip.set(id, `${id} (${t.instanceType} does not support ${virtualization} virtualization)`);
    }
  }
  const burstable = [...info.values()].filter((t) => t.burstable).map((t) => t.instanceType);
  return { ok: true, skip, architecture, sourceBurstable: source?.burstable === true, burstable };
}

/**
 * A saga that had not launched its replacement yet when the process stopped is rolled back instead of resumed
 * when the world changed meanwhile: mode now shadow, paused, breaker open, or the approval expired.
 * Once a replacement may exist, finishing is the safer way out.
 */
export async function stopBeforeLaunch(
  deps: Pick<GuardDeps, "control" | "clock">,
  saga: SagaRecord,
): Promise<CodedError | undefined> {
  if (saga.state !== "imaging") return undefined;
  const gate = await deps.control.gate(saga.accountId);
  if (!gate.ok) return new CodedError(gate.code, `not resumed after the restart: ${gate.reason}`);
  const approval = saga.context.approval;
  if (approval && approval.expiresAt <= deps.clock.now()) {
    return new CodedError(
      "approval_expired",
      `not resumed after the restart: the approval by ${approval.approvedBy} expired at ${new Date(approval.expiresAt).toISOString()}`,
    );
  }
  return undefined;
}

const min = (ms: number) => Math.round(ms / 60_000);

/**
 * How a saga ends: done, rolled back, left in flight for the reconcile job (a terminate to retry), or
 * needs_attention with a message to the channel saying what runs and what to do.
 */
import type { ControlService } from "../control/service.js";
import { asCodedError, type CodedError } from "../errors.js";
import type { LeaseStore } from "../ports/kv.js";
import type { Notifier } from "../ports/notifier.js";
import { leaseKey, type SagaRun } from "./run.js";
import { awsErrorName, findReplacements } from "./steps.js";
import type { SagaOutcome, SagaRecord, SwitchSettings } from "./types.js";
import { describeVolumesNow } from "./volumes.js";

export interface EndDeps {
  control: ControlService;
  leases: LeaseStore;
  settings: SwitchSettings;
  notifier?: Pick<Notifier, "alert">;
}

/** Codes that are not the account's or AWS capacity's fault: they never count towards the circuit breaker. */
const BREAKER_NEUTRAL = new Set([
  "paused",
  "shadow_mode",
  "circuit_open",
  "approval_expired",
  "invalid_input",
  "forbidden",
]);

export function isBreakerNeutral(code: string): boolean {
  return BREAKER_NEUTRAL.has(code);
}

export function inFlight(saga: SagaRecord, code: string, reason: string): SagaOutcome {
  return { state: "in_flight", sagaId: saga.id, instanceId: saga.instanceId, code, reason };
}

/** One line: which instances of this saga run, and where its Elastic IPs point. */
export async function describeWorld(run: SagaRun): Promise<string> {
  const ids = [run.saga.instanceId, ...(run.saga.newInstanceId ? [run.saga.newInstanceId] : [])];
  const parts: string[] = [];
  for (const id of ids) {
    const [i] = await run.ec2.describeInstances({ instanceIds: [id] }).catch(() => []);
    parts.push(`${id} (${id === run.saga.instanceId ? "old" : "replacement"}) ${i?.state ?? "gone"}`);
  }
  for (const r of await findReplacements(run).catch(() => [])) {
    if (!ids.includes(r.instanceId)) parts.push(`${r.instanceId} (also launched by this switch) ${r.state}`);
  }
  const { addresses } = run.saga.context;
  if (addresses.length) {
    const now = await run.ec2
      .describeAddresses({ allocationIds: addresses.map((a) => a.allocationId) })
      .catch(() => []);
    for (const a of now) parts.push(`EIP ${a.publicIp} → ${a.instanceId ?? "unassociated"}`);
  }
  parts.push(...(await describeVolumesNow(run).catch(() => [])));
  return parts.join("; ");
}

export async function releaseLease(deps: EndDeps, run: SagaRun): Promise<void> {
  await deps.leases.release(leaseKey(run.saga.accountId, run.saga.instanceId), run.leaseOwner).catch(() => undefined);
}

/**
 * The old instance could not be terminated after a verified cutover. The reconcile job retries it (the saga
 * stays in flight); a refusal (termination protection turned on meanwhile, access denied) or too many attempts
 * need a person: both instances run, the identity is on the replacement.
 */
export async function terminateFailed(deps: EndDeps, run: SagaRun, err: CodedError): Promise<SagaOutcome> {
  const attempts = (run.saga.context.terminateAttempts ?? 0) + 1;
  await run.save({ error: err.message, context: { ...run.saga.context, terminateAttempts: attempts } });
  await run.audit("switch.terminate_failed", { attempts, code: err.code, error: err.message });
  const refused = err.code === "aws_access_denied" || awsErrorName(err) === "OperationNotPermitted";
  if (!refused && attempts < deps.settings.maxTerminateAttempts) {
    await run.notify("terminate_old", "info", `Terminating ${run.saga.instanceId} failed (${err.message}); retrying`);
    await releaseLease(deps, run);
    return inFlight(
      run.saga,
      err.code,
      `terminating the old instance failed (${err.message}); the reconcile job retries it (attempt ${attempts} of ${deps.settings.maxTerminateAttempts})`,
    );
  }
  return needsAttention(
    deps,
    run,
    `the replacement ${run.saga.newInstanceId} runs with the identity, but terminating the old instance ${run.saga.instanceId} failed ${attempts} time(s): ${err.message}`,
    err.code,
  );
}

/** Stops the saga where it is and tells the channel what is running and what to do. */
export async function needsAttention(deps: EndDeps, run: SagaRun, reason: string, code: string): Promise<SagaOutcome> {
  const from =
    run.saga.state === "needs_attention" ? (run.saga.context.attention?.from ?? "rolling_back") : run.saga.state;
  const now = run.now();
  await run.save({
    state: "needs_attention",
    active: false,
    finishedAt: now,
    error: reason,
    context: { ...run.saga.context, attention: { from, reason, code, at: now } },
  });
  await releaseLease(deps, run);
  const breaker = isBreakerNeutral(code)
    ? await deps.control.breaker(run.saga.accountId)
    : await deps.control.recordFailure(run.saga.accountId, reason);
  const world = await describeWorld(run).catch((e: unknown) => `(could not describe: ${asCodedError(e).message})`);
  const todo =
    from === "terminating_old"
      ? `terminate ${run.saga.instanceId} yourself (or fix what refused it), then run \`spotwise resume ${run.id}\``
      : `fix the cause above, then run \`spotwise resume ${run.id}\` to finish the rollback (or put things right by hand)`;
  const text = `:rotating_light: Switch ${run.id} of ${run.saga.instanceId} (${run.saga.accountId}/${run.saga.region}) needs attention: ${reason}. Running now: ${world}. What to do: ${todo}. New switches of ${run.saga.instanceId} are blocked until then; other instances are not affected.`;
  await run.audit("switch.needs_attention", { reason, code, from, world, breaker: breaker.state });
  await run.notify("rollback", "failed", text);
  await deps.notifier?.alert(text).catch(() => undefined);
  return { state: "needs_attention", sagaId: run.id, instanceId: run.saga.instanceId, code, reason };
}

export async function finish(deps: EndDeps, run: SagaRun): Promise<SagaOutcome> {
  await run.save({ state: "done", active: false, finishedAt: run.now(), error: undefined });
  await releaseLease(deps, run);
  await deps.control.recordSuccess(run.saga.accountId);
  const pool = run.saga.targets[run.saga.targetIndex];
  await run.audit("switch.done", { newInstanceId: run.saga.newInstanceId, pool });
  await run.notify("terminate_old", "ok", `Switch done: ${run.saga.instanceId} → ${run.saga.newInstanceId}`);
  return { state: "done", sagaId: run.id, instanceId: run.saga.instanceId, newInstanceId: run.saga.newInstanceId };
}

export async function finishRollback(deps: EndDeps, run: SagaRun): Promise<SagaOutcome> {
  const reason = run.saga.context.rollbackReason ?? run.saga.error ?? "unknown";
  const code = run.saga.context.rollbackCode ?? "internal";
  await run.save({ state: "rolled_back", active: false, finishedAt: run.now(), error: reason });
  await releaseLease(deps, run);
  // a stop by the operator's controls or a request AWS refused as invalid is not a failure of the account
  const breaker = isBreakerNeutral(code)
    ? await deps.control.breaker(run.saga.accountId)
    : await deps.control.recordFailure(run.saga.accountId, reason);
  await run.audit("switch.rolled_back", { reason, code, breaker: breaker.state });
  await run.notify("rollback", "ok", `Rolled back; ${run.saga.instanceId} keeps running. Why: ${reason}`);
  return { state: "rolled_back", sagaId: run.id, instanceId: run.saga.instanceId, code, reason };
}

/**
 * Rollback: put everything back on the old instance. Move the Elastic IPs and target groups back, terminate
 * every replacement this saga launched (found by tag), keep the old instance running, record why.
 * When the old instance is already gone (terminate went through before a crash), rolling back would lose
 * both: the saga rolls forward instead, since the replacement had passed its checks.
 */
import { isCodedError } from "../errors.js";
import type { SagaRun } from "./run.js";
import { findReplacements } from "./steps.js";

export type RollbackResult = "rolled_back" | "rolled_forward";

export async function rollback(run: SagaRun, reason: string, code: string): Promise<RollbackResult> {
  if (run.saga.state !== "rolling_back") {
    await run.save({
      state: "rolling_back",
      error: reason,
      context: { ...run.saga.context, rollbackReason: reason, rollbackCode: code },
    });
    await run.audit("switch.rollback_started", { reason, code });
  }
  const oldId = run.saga.instanceId;
  const [old] = await run
    .call(() => run.ec2.describeInstances({ instanceIds: [oldId] }))
    .catch((e: unknown) => {
      if (isCodedError(e, "not_found")) return [];
      throw e;
    });
  const oldGone = !old || old.state === "terminated" || old.state === "shutting-down";
  if (oldGone && run.saga.newInstanceId) {
    // the old instance is gone (terminated before a crash, or reclaimed by AWS): the replacement is all
    // that is left, so keep it instead of losing both
    await run.audit("switch.rolled_forward", { reason: "old instance is gone", oldState: old?.state ?? "missing" });
    return "rolled_forward";
  }
  await run.step("rollback", `Rolling back: ${run.saga.context.rollbackReason ?? reason}`, async () => {
    const { moved, addresses, targetGroups, verifiedAt } = run.saga.context;
    // a crash can hide a move that happened but was not recorded: once the cutover may have begun, restore all
    const mayHaveMoved = verifiedAt !== undefined || moved.eips.length > 0 || moved.targetGroups.length > 0;
    let requestId: string | undefined;
    if (!oldGone && mayHaveMoved) {
      const now = addresses.length
        ? await run.call(() => run.ec2.describeAddresses({ allocationIds: addresses.map((a) => a.allocationId) }))
        : [];
      for (const a of now) {
        if (a.instanceId === oldId) continue;
        const r = await run.call(() =>
          run.ec2.associateAddress({ allocationId: a.allocationId, instanceId: oldId, allowReassociation: true }),
        );
        requestId = r.requestId ?? requestId;
      }
    }
    const tg = run.tg;
    if (tg && !oldGone && mayHaveMoved) {
      // registering a registered target and deregistering an absent one are no-ops in ELB
      for (const g of targetGroups) {
        const arn = g.targetGroupArn;
        await run.call(() => tg.register({ targetGroupArn: arn, instanceId: oldId, port: g.port }));
        if (run.saga.newInstanceId) {
          const newId = run.saga.newInstanceId;
          await run.call(() => tg.deregister({ targetGroupArn: arn, instanceId: newId, port: g.port }));
        }
      }
    }
    await run.save({ context: { ...run.saga.context, moved: { eips: [], targetGroups: [] } } });
    const replacements = new Set((await findReplacements(run)).map((i) => i.instanceId));
    if (run.saga.newInstanceId) replacements.add(run.saga.newInstanceId);
    if (replacements.size > 0) {
      const r = await run.call(() => run.ec2.terminateInstances({ instanceIds: [...replacements] }));
      requestId = r.requestId ?? requestId;
    }
    return {
      value: undefined,
      requestId,
      detail: {
        terminatedReplacements: [...replacements],
        oldInstance: old?.state ?? "missing",
        summary: replacements.size ? `terminated ${[...replacements].join(", ")}` : "nothing launched",
      },
    };
  });
  return "rolled_back";
}

/**
 * Rollback: put everything back on the old instance. Move the Elastic IPs and target groups back, terminate
 * every replacement this saga launched (found by tag), keep the old instance running, record why.
 * Every undo tolerates the answers that mean "already done" (InvalidTarget for a target that is gone,
 * InvalidAllocationID.NotFound for a released address, an instance already terminated), so a rollback always
 * reaches its end or says why it cannot.
 * When the old instance is already gone (terminated before a crash, or reclaimed by AWS), rolling back would
 * lose both: the saga rolls forward when the replacement runs, and needs a person when nothing runs.
 */
import { isCodedError } from "../errors.js";
import { secondaryIps } from "./identity.js";
import type { SagaRun } from "./run.js";
import { alreadyDone, findReplacements } from "./steps.js";
import { describeVolumesNow, restoreVolumes, volumesToMove } from "./volumes.js";

export type RollbackResult =
  | { kind: "rolled_back" }
  | { kind: "rolled_forward" }
  | { kind: "needs_attention"; reason: string; code: string };

const GONE = new Set(["terminated", "shutting-down"]);

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
  const oldGone = !old || GONE.has(old.state);
  if (oldGone) {
    // the old instance is gone (terminated before a crash, or reclaimed by AWS): the replacement is all that
    // can be left, so keep it, or say that nothing runs
    const alive = (await findReplacements(run)).filter((i) => i.state === "running" || i.state === "pending");
    const keep = alive.find((i) => i.instanceId === run.saga.newInstanceId) ?? alive[0];
    if (keep?.state === "running") {
      if (keep.instanceId !== run.saga.newInstanceId) await run.save({ newInstanceId: keep.instanceId });
      await run.audit("switch.rolled_forward", {
        reason: "old instance is gone",
        oldState: old?.state ?? "missing",
        keep: keep.instanceId,
      });
      return { kind: "rolled_forward" };
    }
    const image = run.saga.imageId ? `; its image ${run.saga.imageId} is kept so you can launch from it` : "";
    const volumes = volumesToMove(run).length
      ? `; attach its data volumes to the instance you launch: ${(await describeVolumesNow(run)).join(", ")}`
      : "";
    return {
      kind: "needs_attention",
      code: "nothing_running",
      reason: `nothing is running for ${oldId}: it is ${old?.state ?? "gone"} and the replacement ${
        run.saga.newInstanceId ?? "(none launched)"
      } is ${keep?.state ?? "gone"}${image}${volumes}`,
    };
  }
  if (volumesToMove(run).length) {
    // the data volumes go back to the old instance (from the replacement if they moved), and it starts again
    const launched = new Set((await findReplacements(run)).map((i) => i.instanceId));
    if (run.saga.newInstanceId) launched.add(run.saga.newInstanceId);
    await restoreVolumes(run, old, [...launched]);
  }
  await run.step("rollback", `Rolling back: ${run.saga.context.rollbackReason ?? reason}`, async () => {
    const { moved, addresses, targetGroups, verifiedAt } = run.saga.context;
    // a crash can hide a move that happened but was not recorded: once the cutover may have begun, restore all
    const mayHaveMoved = verifiedAt !== undefined || moved.eips.length > 0 || moved.targetGroups.length > 0;
    let requestId: string | undefined;
    const skipped: string[] = [];
    const launch = run.saga.context.source.launch;
    const secondary = secondaryIps(launch);
    if (mayHaveMoved && secondary.length) {
      // the secondary private IPs come back first, so the addresses on them can follow
      const r = await run.call(() => run.ec2.assignPrivateIps({ instanceId: oldId, privateIps: secondary }));
      requestId = r.requestId ?? requestId;
    }
    const original = new Map(addresses.map((a) => [a.allocationId, a.privateIp]));
    const primaryIp = launch?.privateIps.find((p) => p.primary)?.privateIp;
    if (mayHaveMoved && addresses.length) {
      const now = await run.call(() =>
        run.ec2.describeAddresses({ allocationIds: addresses.map((a) => a.allocationId) }).catch((e: unknown) => {
          // one released address makes the whole call fail: ask for them one by one
          if (!alreadyDone(e, "InvalidAllocationID.NotFound")) throw e;
          return describeEach(run, addresses);
        }),
      );
      for (const a of now) {
        const privateIp = original.get(a.allocationId);
        if (a.instanceId === oldId && (a.privateIp === privateIp || privateIp === undefined)) continue;
        const r = await run
          .call(() =>
            run.ec2.associateAddress({
              allocationId: a.allocationId,
              instanceId: oldId,
              allowReassociation: true,
              privateIp: privateIp && privateIp !== primaryIp ? privateIp : undefined,
            }),
          )
          .catch((e: unknown) => {
            if (!alreadyDone(e, "InvalidAllocationID.NotFound")) throw e;
            skipped.push(`${a.publicIp} (released)`);
            return { requestId: undefined };
          });
        requestId = r.requestId ?? requestId;
      }
    }
    const tg = run.tg;
    if (tg && mayHaveMoved) {
      for (const g of targetGroups) {
        const arn = g.targetGroupArn;
        await run.call(() => tg.register({ targetGroupArn: arn, instanceId: oldId, port: g.port }));
        for (const newId of run.saga.newInstanceId ? [run.saga.newInstanceId] : []) {
          // InvalidTarget: the replacement is already terminated, so it is not a target any more
          await run
            .call(() => tg.deregister({ targetGroupArn: arn, instanceId: newId, port: g.port }))
            .catch((e: unknown) => {
              if (!alreadyDone(e, "InvalidTarget")) throw e;
            });
        }
      }
    }
    await run.save({ context: { ...run.saga.context, moved: { eips: [], targetGroups: [] } } });
    const replacements = new Set((await findReplacements(run)).map((i) => i.instanceId));
    if (run.saga.newInstanceId) replacements.add(run.saga.newInstanceId);
    for (const id of replacements) {
      // one at a time: an id AWS no longer knows must not keep the others running
      const r = await run
        .call(() => run.ec2.terminateInstances({ instanceIds: [id] }))
        .catch((e: unknown) => {
          if (!isCodedError(e, "not_found")) throw e;
          return { requestId: undefined };
        });
      requestId = r.requestId ?? requestId;
    }
    return {
      value: undefined,
      requestId,
      detail: {
        terminatedReplacements: [...replacements],
        oldInstance: old?.state ?? "missing",
        skipped,
        summary: replacements.size ? `terminated ${[...replacements].join(", ")}` : "nothing launched",
      },
    };
  });
  return { kind: "rolled_back" };
}

async function describeEach(run: SagaRun, addresses: Array<{ allocationId: string }>) {
  const out = [];
  for (const a of addresses) {
    const found = await run.ec2.describeAddresses({ allocationIds: [a.allocationId] }).catch((e: unknown) => {
      if (alreadyDone(e, "InvalidAllocationID.NotFound")) return [];
      throw e;
    });
    out.push(...found);
  }
  return out;
}

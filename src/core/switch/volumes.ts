/**
 * Data volumes move, they are not copied. A non-root EBS volume kept on termination (DeleteOnTermination=false)
 * is left out of the image and the launch; once the replacement runs and passed its checks, the old instance is
 * stopped (its writes stop), each volume is detached (until `available`), attached to the replacement at the
 * same device name (until `attached`), and all are described again before the identity moves and before the old
 * instance is terminated. A rollback puts each volume back on the old instance at its device and starts it.
 *
 * Every move looks at the volume before acting and acts only towards its goal, so a crash between any two calls,
 * a lost answer or a retry resumes where the world is: an answer that means "already on its way" (IncorrectState,
 * VolumeInUse, InvalidAttachment.NotFound, IncorrectInstanceState) just makes it look again.
 */
import { CodedError, isCodedError } from "../errors.js";
import type { Ec2Instance, Ec2Volume } from "../ports/ec2.js";
import { movedVolumes } from "./identity.js";
import type { SagaRun } from "./run.js";
import { alreadyDone, healthCheck, recheckReplacement } from "./steps.js";

export interface MovedVolume {
  volumeId: string;
  deviceName: string;
}

/** The data volumes this saga moves (none for an instance without kept data volumes). */
export function volumesToMove(run: SagaRun): MovedVolume[] {
  return movedVolumes(run.saga.context.source.launch).map((v) => ({ volumeId: v.volumeId, deviceName: v.deviceName }));
}

type Wait = (what: string, probe: () => Promise<true | undefined>) => Promise<unknown>;

const GONE = new Set(["terminated", "shutting-down"]);
/** Answers to a move that mean "the volume or instance is already on its way": look again. */
const ON_ITS_WAY = ["IncorrectState", "VolumeInUse", "InvalidAttachment.NotFound", "IncorrectInstanceState"];

async function describeVolume(run: SagaRun, volumeId: string): Promise<Ec2Volume> {
  const [v] = await run
    .call(() => run.ec2.describeVolumes({ volumeIds: [volumeId] }))
    .catch((e: unknown) => {
      if (isCodedError(e, "not_found")) return [];
      throw e;
    });
  if (!v || v.state === "deleted" || v.state === "deleting") {
    throw new CodedError("not_found", `data volume ${volumeId} no longer exists`);
  }
  return v;
}

async function describeInstance(run: SagaRun, instanceId: string): Promise<Ec2Instance | undefined> {
  const [i] = await run
    .call(() => run.ec2.describeInstances({ instanceIds: [instanceId] }))
    .catch((e: unknown) => {
      if (isCodedError(e, "not_found")) return [];
      throw e;
    });
  return i;
}

/** Runs a move; an answer meaning "already on its way" is not an error (the next look tells). */
async function act(run: SagaRun, fn: () => Promise<{ requestId?: string }>): Promise<string | undefined> {
  try {
    return (await run.call(fn)).requestId;
  } catch (e) {
    if (alreadyDone(e, ...ON_ITS_WAY)) return undefined;
    throw e;
  }
}

/**
 * Drives one volume until it is attached to `to` at its device name (`to` undefined: until it is attached to
 * none of `from`). It is detached only from an instance in `from`; attached anywhere else, it is not touched.
 */
async function drive(
  run: SagaRun,
  v: MovedVolume,
  goal: { to?: string; from: string[] },
  wait: Wait,
): Promise<string | undefined> {
  let requestId: string | undefined;
  const what = goal.to ? `${v.volumeId} attached to ${goal.to} at ${v.deviceName}` : `${v.volumeId} detached`;
  await wait(what, async () => {
    const a = (await describeVolume(run, v.volumeId)).attachments.find((x) => x.state !== "detached");
    if (!a) {
      if (!goal.to) return true;
      const to = goal.to;
      requestId =
        (await act(run, () =>
          run.ec2.attachVolume({ volumeId: v.volumeId, instanceId: to, deviceName: v.deviceName }),
        )) ?? requestId;
      return undefined;
    }
    if (goal.to && a.instanceId === goal.to && a.deviceName === v.deviceName) {
      return a.state === "attached" ? true : undefined;
    }
    if (!goal.to && !goal.from.includes(a.instanceId)) return true;
    if (a.state === "detaching" || a.state === "attaching") return undefined;
    if (!goal.from.includes(a.instanceId)) {
      throw new CodedError(
        "conflict",
        `data volume ${v.volumeId} is attached to ${a.instanceId} at ${a.deviceName}, which this switch did not expect; it was left there`,
      );
    }
    requestId =
      (await act(run, () =>
        run.ec2.detachVolume({ volumeId: v.volumeId, instanceId: a.instanceId, deviceName: a.deviceName }),
      )) ?? requestId;
    return undefined;
  });
  return requestId;
}

/** Forward: stop the old instance, move each data volume to the replacement, verify; then enter cutover. */
export async function moveVolumes(run: SagaRun): Promise<void> {
  const vols = volumesToMove(run);
  const oldId = run.saga.instanceId;
  const newId = run.saga.newInstanceId as string;
  const deadline = run.deps.settings.launchDeadlineMs;
  const wait: Wait = (what, probe) => run.waitFor("moving_volumes", deadline, what, probe);
  if (run.saga.context.volumesMovedAt === undefined) {
    // status only: the application is checked once it has its data
    await recheckReplacement(run, `stopping ${oldId} to move its data volumes`, { health: false });
    await run.step("stop_old", `Stopping ${oldId} so its data volumes take no more writes`, async () => {
      let requestId: string | undefined;
      await wait(`${oldId} stopped`, async () => {
        const old = await describeInstance(run, oldId);
        if (!old || GONE.has(old.state) || old.state === "stopped") return true;
        if (old.state === "running") {
          requestId = (await act(run, () => run.ec2.stopInstances({ instanceIds: [oldId] }))) ?? requestId;
        }
        return undefined;
      });
      return { value: undefined, requestId, detail: { summary: "stopped" } };
    });
    for (const v of vols) {
      await run.step("detach_volume", `Detaching ${v.volumeId} (${v.deviceName}) from ${oldId}`, async () => {
        const requestId = await drive(run, v, { from: [oldId] }, wait);
        return { value: undefined, requestId, detail: { volumeId: v.volumeId, summary: "available" } };
      });
      await run.step("attach_volume", `Attaching ${v.volumeId} to ${newId} at ${v.deviceName}`, async () => {
        const requestId = await drive(run, v, { to: newId, from: [oldId] }, wait);
        return { value: undefined, requestId, detail: { volumeId: v.volumeId, summary: "attached" } };
      });
    }
    await run.step("verify_volumes", `Checking the data volumes on ${newId}`, async () => {
      await verifyVolumesOn(run, newId);
      return { value: undefined, detail: { summary: vols.map((v) => `${v.volumeId} at ${v.deviceName}`).join(", ") } };
    });
    // the application answers healthy with its data before it gets the identity
    await healthCheck(run);
    await run.save({ context: { ...run.saga.context, volumesMovedAt: run.now() } });
  }
  await run.enter("cutover");
}

/**
 * The old instance is gone and the replacement runs (a rollback rolls forward): the data volumes, detached when
 * the old instance terminated, go to the replacement first (on a fresh deadline); then the saga is in cutover.
 */
export async function rollForwardVolumes(run: SagaRun): Promise<void> {
  if (volumesToMove(run).length === 0 || run.saga.context.volumesMovedAt !== undefined) {
    return run.save({ state: "cutover" });
  }
  const phaseStartedAt = { ...run.saga.context.phaseStartedAt, moving_volumes: run.now() };
  await run.save({ state: "moving_volumes", context: { ...run.saga.context, phaseStartedAt } });
  await moveVolumes(run);
}

/**
 * Describes the volumes and the instance again: each data volume must be attached to `instanceId` at its device
 * name. Throws (the replacement lost its data: a rollback) otherwise.
 */
export async function verifyVolumesOn(run: SagaRun, instanceId: string): Promise<void> {
  const vols = volumesToMove(run);
  if (vols.length === 0) return;
  const now = await run.call(() => run.ec2.describeVolumes({ volumeIds: vols.map((v) => v.volumeId) }));
  const inst = await describeInstance(run, instanceId);
  for (const v of vols) {
    const a = now.find((x) => x.volumeId === v.volumeId)?.attachments[0];
    const listed = inst?.blockDevices?.some((b) => b.volumeId === v.volumeId && b.deviceName === v.deviceName);
    if (a?.instanceId !== instanceId || a.deviceName !== v.deviceName || a.state !== "attached" || !listed) {
      throw new CodedError(
        "aws_error",
        `data volume ${v.volumeId} is not attached to ${instanceId} at ${v.deviceName} (${a ? `${a.state} to ${a.instanceId} at ${a.deviceName}` : "detached"})`,
        { replacementLost: true },
      );
    }
  }
}

/**
 * Rollback: every data volume back on the old instance at its device name (detached from a replacement of this
 * saga if need be), then the old instance started again when it was stopped. Each wait is bounded by the launch
 * deadline from its start, so a rollback resumed late (or a slow volume) still gets its full time.
 */
export async function restoreVolumes(run: SagaRun, old: Ec2Instance, replacements: string[]): Promise<void> {
  const vols = volumesToMove(run);
  if (vols.length === 0) return;
  const oldId = run.saga.instanceId;
  const wait: Wait = async (what, probe) => {
    const until = run.now() + run.deps.settings.launchDeadlineMs;
    for (;;) {
      if ((await run.call(probe)) !== undefined) return;
      if (run.now() >= until) {
        throw new CodedError(
          "deadline_exceeded",
          `${what} did not happen within ${Math.round(run.deps.settings.launchDeadlineMs / 60_000)} min`,
        );
      }
      await run.deps.clock.sleep(run.deps.settings.pollIntervalMs);
      await run.keepLease();
    }
  };
  await run.step("restore_volumes", `Putting the data volumes back on ${oldId}`, async () => {
    let requestId: string | undefined;
    for (const v of vols) {
      // off the replacement first, then onto the old instance: each transition gets its own deadline
      requestId = (await drive(run, v, { from: replacements }, wait)) ?? requestId;
      requestId = (await drive(run, v, { to: oldId, from: replacements }, wait)) ?? requestId;
    }
    return {
      value: undefined,
      requestId,
      detail: { summary: vols.map((v) => `${v.volumeId} at ${v.deviceName}`).join(", ") },
    };
  });
  // never stopped (the failure came before the stop): nothing to start. Pending: started by a run that died.
  if (old.state === "running") return;
  await run.step("start_old", `Starting ${oldId} again`, async () => {
    let requestId: string | undefined;
    await wait(`${oldId} running and passing status checks`, async () => {
      const [st] = await run.ec2.describeInstanceStatus({ instanceIds: [oldId] });
      if (st?.state === "stopped") {
        requestId = (await act(run, () => run.ec2.startInstances({ instanceIds: [oldId] }))) ?? requestId;
        return undefined;
      }
      if (st && GONE.has(st.state)) throw new CodedError("aws_error", `the old instance ${oldId} is ${st.state}`);
      return st?.state === "running" && st.systemOk && st.instanceOk ? true : undefined;
    });
    return { value: undefined, requestId, detail: { summary: "running" } };
  });
}

/** One line per data volume: where it is now (for the channel when a person is needed). */
export async function describeVolumesNow(run: SagaRun): Promise<string[]> {
  const vols = volumesToMove(run);
  if (vols.length === 0) return [];
  const now = await run.ec2.describeVolumes({ volumeIds: vols.map((v) => v.volumeId) }).catch(() => []);
  return vols.map((v) => {
    const x = now.find((n) => n.volumeId === v.volumeId);
    const a = x?.attachments[0];
    if (!x) return `data volume ${v.volumeId} (${v.deviceName}) not found`;
    return `data volume ${v.volumeId} (${v.deviceName}) ${a ? `${a.state} to ${a.instanceId} at ${a.deviceName}` : "detached (available)"}`;
  });
}

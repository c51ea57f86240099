/**
 * Stopping and starting instances and moving EBS volumes in the simulated cloud, answered the way EC2 documents
 * it: UnsupportedOperation for stopping a one-time Spot Instance, IncorrectInstanceState for stopping or starting
 * an instance in the wrong state, InvalidVolume.NotFound, VolumeInUse for attaching an attached volume,
 * IncorrectState for a volume that is not `available` (or detaching one that is), InvalidAttachment.NotFound,
 * InvalidVolume.ZoneMismatch across AZs and InvalidParameterValue for a device name already in use.
 * Transitions take time on the clock (stopping → stopped, attaching → attached, detaching → available).
 */
import type { SimCloud, SimInstance } from "./cloud.js";
import { awsError, type SimVolume } from "./identity.js";

/** Finishes the detachments whose time has come: the volume is available, the instance no longer lists it. */
export function settleVolumes(cloud: SimCloud): void {
  if (cloud.detaching.size === 0) return;
  const now = cloud.clock.now();
  // only the volumes detachVolume() started detaching: every call settles them, and a cloud of 10,000 instances
  // has as many volumes to skip
  for (const v of cloud.detaching) {
    const att = v.attachment;
    if (!att || att.detachingAt === undefined) {
      cloud.detaching.delete(v);
      continue;
    }
    if (now < att.detachingAt + cloud.latencies.volumeMs) continue;
    const holder = cloud.instances.get(att.instanceId);
    if (holder?.blockDevices) holder.blockDevices = holder.blockDevices.filter((b) => b.volumeId !== v.volumeId);
    v.attachment = undefined;
    cloud.detaching.delete(v);
  }
}

/** The attachment's state as DescribeVolumes answers it. */
export function attachmentState(cloud: SimCloud, att: NonNullable<SimVolume["attachment"]>): string {
  if (att.detachingAt !== undefined) return "detaching";
  if (att.attachedAt !== undefined && cloud.clock.now() < att.attachedAt + cloud.latencies.volumeMs) return "attaching";
  return "attached";
}

type Lookup = (id: string) => SimInstance;

export function stopInstance(cloud: SimCloud, i: SimInstance): void {
  const state = cloud.stateOf(i);
  if (i.lifecycle === "spot") {
    throw awsError(
      "UnsupportedOperation",
      `You can't stop the Spot Instance '${i.instanceId}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.`,
    );
  }
  if (i.disableApiStop) {
    throw awsError(
      "OperationNotPermitted",
      `The instance '${i.instanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`,
    );
  }
  if (state === "stopped" || state === "stopping") return; // AWS answers with the current state
  if (state !== "running") {
    throw awsError(
      "IncorrectInstanceState",
      `This instance '${i.instanceId}' is not in a state from which it can be stopped.`,
    );
  }
  i.stoppedAt = cloud.clock.now();
}

export function startInstance(cloud: SimCloud, i: SimInstance): void {
  const state = cloud.stateOf(i);
  if (state === "running" || state === "pending") return;
  if (state !== "stopped") {
    throw awsError(
      "IncorrectInstanceState",
      `The instance '${i.instanceId}' is not in a state from which it can be started.`,
    );
  }
  const now = cloud.clock.now();
  i.stoppedAt = undefined;
  i.state = "running";
  i.launchedAt = now;
  i.launchTime = now;
}

export function detachVolume(
  cloud: SimCloud,
  v: SimVolume,
  input: { instanceId: string; deviceName: string },
  instance: Lookup,
): void {
  instance(input.instanceId);
  const att = v.attachment;
  if (!att) throw awsError("IncorrectState", `Volume '${v.volumeId}' is in the 'available' state.`);
  if (att.instanceId !== input.instanceId || att.deviceName !== input.deviceName) {
    throw awsError(
      "InvalidAttachment.NotFound",
      `The volume '${v.volumeId}' is not attached to instance '${input.instanceId}' at ${input.deviceName}`,
    );
  }
  const state = attachmentState(cloud, att);
  if (state !== "attached") throw awsError("IncorrectState", `Volume '${v.volumeId}' is in the '${state}' state.`);
  att.detachingAt = cloud.clock.now();
  cloud.detaching.add(v);
}

export function attachVolume(
  cloud: SimCloud,
  v: SimVolume,
  input: { instanceId: string; deviceName: string },
  instance: Lookup,
): void {
  const i = instance(input.instanceId);
  if (v.attachment && v.attachment.detachingAt === undefined) {
    throw awsError("VolumeInUse", `${v.volumeId} is already attached to an instance`);
  }
  if (v.attachment) throw awsError("IncorrectState", `${v.volumeId} is not 'available'.`);
  if (v.az !== i.az) {
    throw awsError(
      "InvalidVolume.ZoneMismatch",
      `The volume '${v.volumeId}' is not in the same availability zone as instance '${i.instanceId}'`,
    );
  }
  const state = cloud.stateOf(i);
  if (state !== "running" && state !== "stopped") {
    throw awsError("IncorrectInstanceState", `Instance '${i.instanceId}' is not 'running'.`);
  }
  const taken = [...cloud.volumes.values()].some(
    (o) => !o.deleted && o.attachment?.instanceId === i.instanceId && o.attachment.deviceName === input.deviceName,
  );
  if (taken || i.rootDeviceName === input.deviceName) {
    throw awsError(
      "InvalidParameterValue",
      `Invalid value '${input.deviceName}' for unixDevice. Attachment point ${input.deviceName} is already in use`,
    );
  }
  v.attachment = {
    instanceId: i.instanceId,
    deviceName: input.deviceName,
    deleteOnTermination: false,
    attachedAt: cloud.clock.now(),
  };
  i.blockDevices = [
    ...(i.blockDevices ?? []),
    { volumeId: v.volumeId, deviceName: input.deviceName, deleteOnTermination: false },
  ];
}

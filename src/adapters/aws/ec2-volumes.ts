/**
 * The data-volume move calls of the EC2 port on the SDK: StopInstances, StartInstances, DetachVolume and
 * AttachVolume (one instance or volume per request, so an error names the one it is about).
 */
import {
  AttachVolumeCommand,
  DetachVolumeCommand,
  type EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";

type Call = <T>(operation: string, run: () => Promise<T>) => Promise<T>;

/** StopInstances without Force: the OS shuts down cleanly and flushes its writes. */
export async function stopInstances(
  client: EC2Client,
  call: Call,
  input: { instanceIds: string[] },
): Promise<{ requestId?: string }> {
  const out = await call("StopInstances", () =>
    client.send(new StopInstancesCommand({ InstanceIds: input.instanceIds, Force: false })),
  );
  return { requestId: out.$metadata.requestId };
}

export async function startInstances(
  client: EC2Client,
  call: Call,
  input: { instanceIds: string[] },
): Promise<{ requestId?: string }> {
  const out = await call("StartInstances", () =>
    client.send(new StartInstancesCommand({ InstanceIds: input.instanceIds })),
  );
  return { requestId: out.$metadata.requestId };
}

/** DetachVolume naming the instance and device, so a volume attached elsewhere is never pulled off (not forced). */
export async function detachVolume(
  client: EC2Client,
  call: Call,
  input: { volumeId: string; instanceId: string; deviceName: string },
): Promise<{ requestId?: string }> {
  const out = await call("DetachVolume", () =>
    client.send(
      new DetachVolumeCommand({
        VolumeId: input.volumeId,
        InstanceId: input.instanceId,
        Device: input.deviceName,
        Force: false,
      }),
    ),
  );
  return { requestId: out.$metadata.requestId };
}

export async function attachVolume(
  client: EC2Client,
  call: Call,
  input: { volumeId: string; instanceId: string; deviceName: string },
): Promise<{ requestId?: string }> {
  const out = await call("AttachVolume", () =>
    client.send(
      new AttachVolumeCommand({ VolumeId: input.volumeId, InstanceId: input.instanceId, Device: input.deviceName }),
    ),
  );
  return { requestId: out.$metadata.requestId };
}

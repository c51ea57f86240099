/**
 * The data-volume move calls of SdkEc2Port on recorded request and response shapes (aws-sdk-client-mock):
 * StopInstances (never forced), StartInstances, DetachVolume naming instance and device (never forced),
 * AttachVolume at the device name, DescribeVolumes with its AZ and attachment states, and the EC2 answers the
 * saga reads (VolumeInUse, IncorrectState, InvalidVolume.ZoneMismatch, UnsupportedOperation) as coded errors.
 */
import {
  AttachVolumeCommand,
  DescribeInstanceAttributeCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { SdkEc2Port } from "./ec2.js";

const meta = (requestId: string) => ({ $metadata: { requestId } });
const ec2 = mockClient(EC2Client);
const port = () => new SdkEc2Port(new EC2Client({ region: "us-east-1" }), "123456789012", "us-east-1");
afterEach(() => ec2.reset());

const awsError = (name: string, message: string) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400, requestId: "req-err" } });

describe("SdkEc2Port data volume moves", () => {
  it("stops without Force and starts, one instance per request, returning the request ids", async () => {
    ec2.on(StopInstancesCommand).resolves({
      StoppingInstances: [{ InstanceId: "i-0old", CurrentState: { Name: "stopping", Code: 64 } }],
      ...meta("req-stop"),
    });
    ec2.on(StartInstancesCommand).resolves({
      StartingInstances: [{ InstanceId: "i-0old", CurrentState: { Name: "pending", Code: 0 } }],
      ...meta("req-start"),
    });
    const p = port();
    expect(await p.stopInstances({ instanceIds: ["i-0old"] })).toEqual({ requestId: "req-stop" });
    expect(await p.startInstances({ instanceIds: ["i-0old"] })).toEqual({ requestId: "req-start" });
    expect(ec2.commandCalls(StopInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: ["i-0old"], Force: false });
    expect(ec2.commandCalls(StartInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: ["i-0old"] });
  });

  it("detaches naming the instance and device (not forced) and attaches at the same device name", async () => {
    ec2.on(DetachVolumeCommand).resolves({
      VolumeId: "vol-data",
      InstanceId: "i-0old",
      Device: "/dev/sdf",
      State: "detaching",
      ...meta("req-detach"),
    });
    ec2.on(AttachVolumeCommand).resolves({
      VolumeId: "vol-data",
      InstanceId: "i-0new",
      Device: "/dev/sdf",
      State: "attaching",
      ...meta("req-attach"),
    });
    const p = port();
    expect(await p.detachVolume({ volumeId: "vol-data", instanceId: "i-0old", deviceName: "/dev/sdf" })).toEqual({
      requestId: "req-detach",
    });
    expect(await p.attachVolume({ volumeId: "vol-data", instanceId: "i-0new", deviceName: "/dev/sdf" })).toEqual({
      requestId: "req-attach",
    });
    expect(ec2.commandCalls(DetachVolumeCommand)[0]!.args[0].input).toEqual({
      VolumeId: "vol-data",
      InstanceId: "i-0old",
      Device: "/dev/sdf",
      Force: false,
    });
    expect(ec2.commandCalls(AttachVolumeCommand)[0]!.args[0].input).toEqual({
      VolumeId: "vol-data",
      InstanceId: "i-0new",
      Device: "/dev/sdf",
    });
  });

  it("maps a recorded DescribeVolumes answer: AZ, state, attachment state and device", async () => {
    ec2.on(DescribeVolumesCommand).resolves({
      Volumes: [
        {
          VolumeId: "vol-data",
          AvailabilityZone: "us-east-1a",
          State: "in-use",
          Size: 100,
          VolumeType: "gp3",
          Tags: [{ Key: "Name", Value: "app-1-data" }],
          Attachments: [
            {
              VolumeId: "vol-data",
              InstanceId: "i-0new",
              Device: "/dev/sdf",
              State: "attaching",
              DeleteOnTermination: false,
            },
          ],
        },
      ],
      ...meta("req-dv"),
    });
    expect(await port().describeVolumes({ volumeIds: ["vol-data"] })).toEqual([
      {
        volumeId: "vol-data",
        az: "us-east-1a",
        state: "in-use",
        tags: { Name: "app-1-data" },
        attachments: [{ instanceId: "i-0new", deviceName: "/dev/sdf", state: "attaching" }],
      },
    ]);
    expect(ec2.commandCalls(DescribeVolumesCommand)[0]!.args[0].input).toEqual({ VolumeIds: ["vol-data"] });
  });

  it("reads stop protection only when the instance is to be stopped", async () => {
    ec2
      .on(DescribeInstanceAttributeCommand, { Attribute: "disableApiTermination" })
      .resolves({ DisableApiTermination: { Value: false }, ...meta("req-p") })
      .on(DescribeInstanceAttributeCommand, { Attribute: "instanceInitiatedShutdownBehavior" })
      .resolves({ InstanceInitiatedShutdownBehavior: { Value: "stop" }, ...meta("req-s") })
      .on(DescribeInstanceAttributeCommand, { Attribute: "disableApiStop" })
      .resolves({ DisableApiStop: { Value: true }, ...meta("req-stop") });
    const p = port();
    expect(await p.describeLaunchAttributes({ instanceId: "i-0old", burstable: false })).not.toHaveProperty(
      "disableApiStop",
      true,
    );
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand).map((c) => c.args[0].input.Attribute)).toEqual([
      "disableApiTermination",
      "instanceInitiatedShutdownBehavior",
    ]);
    expect(await p.describeLaunchAttributes({ instanceId: "i-0old", burstable: false, stop: true })).toMatchObject({
      disableApiStop: true,
    });
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand).at(-1)!.args[0].input).toEqual({
      InstanceId: "i-0old",
      Attribute: "disableApiStop",
    });
  });

  it("turns EC2's answers into coded errors that name the AWS error", async () => {
    ec2
      .on(AttachVolumeCommand, { InstanceId: "i-0busy" })
      .rejects(awsError("VolumeInUse", "vol-data is already attached to an instance"))
      .on(AttachVolumeCommand, { InstanceId: "i-0otheraz" })
      .rejects(
        awsError(
          "InvalidVolume.ZoneMismatch",
          "The volume 'vol-data' is not in the same availability zone as instance 'i-0otheraz'",
        ),
      );
    ec2.on(DetachVolumeCommand).rejects(awsError("IncorrectState", "Volume 'vol-data' is in the 'available' state."));
    ec2
      .on(StopInstancesCommand)
      .rejects(
        awsError(
          "UnsupportedOperation",
          "You can't stop the Spot Instance 'i-0spot' because it is associated with a one-time Spot Instance request.",
        ),
      );
    const p = port();
    const name = (e: unknown) => (e as { detail?: { awsError?: string } }).detail?.awsError;
    const busy = await p
      .attachVolume({ volumeId: "vol-data", instanceId: "i-0busy", deviceName: "/dev/sdf" })
      .catch((e) => e);
    expect(name(busy)).toBe("VolumeInUse");
    const zone = await p
      .attachVolume({ volumeId: "vol-data", instanceId: "i-0otheraz", deviceName: "/dev/sdf" })
      .catch((e) => e);
    expect(name(zone)).toBe("InvalidVolume.ZoneMismatch");
    const detach = await p
      .detachVolume({ volumeId: "vol-data", instanceId: "i-0old", deviceName: "/dev/sdf" })
      .catch((e) => e);
    expect(name(detach)).toBe("IncorrectState");
    const stop = await p.stopInstances({ instanceIds: ["i-0spot"] }).catch((e) => e);
    expect(stop).toMatchObject({ code: "invalid_input" });
    expect(name(stop)).toBe("UnsupportedOperation");
  });
});

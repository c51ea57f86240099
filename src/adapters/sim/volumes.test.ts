/**
 * The simulated cloud stops, starts and moves EBS volumes the way EC2 documents: transitions take time
 * (stopping → stopped, attaching → attached, detaching → available) and wrong requests get EC2's answers
 * (UnsupportedOperation, IncorrectInstanceState, VolumeInUse, IncorrectState, InvalidAttachment.NotFound,
 * InvalidVolume.ZoneMismatch, InvalidParameterValue, InvalidVolume.NotFound).
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/ports/clock.js";
import { awsErrorOf } from "../aws/errors.js";
import { SimCloud } from "./cloud.js";
import { SimEc2Port } from "./ec2-port.js";

function world() {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  const base = { accountId: "sim", region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" } as const;
  const old = cloud.seedInstance(base, { dataVolumes: [{ deviceName: "/dev/sdf", deleteOnTermination: false }] });
  const fresh = cloud.seedInstance(base);
  const elsewhere = cloud.seedInstance({ ...base, az: "us-east-1b" });
  const spot = cloud.seedInstance({ ...base, lifecycle: "spot" });
  const vol = old.blockDevices!.find((b) => b.deviceName === "/dev/sdf")!.volumeId;
  return { clock, cloud, old, fresh, elsewhere, spot, vol, ec2: new SimEc2Port(cloud, "sim", "us-east-1") };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => awsErrorOf(e),
  );

describe("simulated EC2 stops, starts and moves volumes like EC2", () => {
  it("stop: stopping then stopped; a one-time Spot Instance cannot be stopped; start only from stopped", async () => {
    const { clock, cloud, old, spot, ec2 } = world();
    expect(await errorOf(ec2.stopInstances({ instanceIds: [spot.instanceId] }))).toBe("UnsupportedOperation");
    old.disableApiStop = true;
    expect(await errorOf(ec2.stopInstances({ instanceIds: [old.instanceId] }))).toBe("OperationNotPermitted");
    expect(
      await ec2.describeLaunchAttributes({ instanceId: old.instanceId, burstable: false, stop: true }),
    ).toMatchObject({
      disableApiStop: true,
    });
    old.disableApiStop = false;
    expect(await errorOf(ec2.stopInstances({ instanceIds: ["i-0000000000000dead"] }))).toBe(
      "InvalidInstanceID.NotFound",
    );
    await ec2.startInstances({ instanceIds: [old.instanceId] }); // starting a running instance answers its state
    await ec2.stopInstances({ instanceIds: [old.instanceId] });
    expect(cloud.stateOf(old)).toBe("stopping");
    expect(await errorOf(ec2.startInstances({ instanceIds: [old.instanceId] }))).toBe("IncorrectInstanceState");
    await ec2.stopInstances({ instanceIds: [old.instanceId] }); // stopping a stopping instance answers its state
    clock.advance(cloud.latencies.stopMs);
    expect(cloud.stateOf(old)).toBe("stopped");
    await ec2.startInstances({ instanceIds: [old.instanceId] });
    expect(cloud.stateOf(old)).toBe("pending");
    clock.advance(cloud.latencies.bootMs);
    expect(cloud.stateOf(old)).toBe("running");
    cloud.reclaim(old.instanceId);
    expect(await errorOf(ec2.stopInstances({ instanceIds: [old.instanceId] }))).toBe("IncorrectInstanceState");
  });

  it("detach then attach: detaching → available, attaching → attached; wrong moves get EC2's answers", async () => {
    const { clock, cloud, old, fresh, elsewhere, vol, ec2 } = world();
    const move = { volumeId: vol, deviceName: "/dev/sdf" };
    expect(await errorOf(ec2.attachVolume({ ...move, instanceId: fresh.instanceId }))).toBe("VolumeInUse");
    expect(await errorOf(ec2.detachVolume({ ...move, instanceId: fresh.instanceId }))).toBe(
      "InvalidAttachment.NotFound",
    );
    await ec2.detachVolume({ ...move, instanceId: old.instanceId });
    const [detaching] = await ec2.describeVolumes({ volumeIds: [vol] });
    expect(detaching).toMatchObject({ state: "in-use", az: "us-east-1a", attachments: [{ state: "detaching" }] });
    expect(await errorOf(ec2.attachVolume({ ...move, instanceId: fresh.instanceId }))).toBe("IncorrectState");
    clock.advance(cloud.latencies.volumeMs);
    expect(await ec2.describeVolumes({ volumeIds: [vol] })).toMatchObject([{ state: "available", attachments: [] }]);
    expect(old.blockDevices!.map((b) => b.deviceName)).toEqual(["/dev/xvda"]);
    expect(await errorOf(ec2.detachVolume({ ...move, instanceId: old.instanceId }))).toBe("IncorrectState");
    expect(await errorOf(ec2.attachVolume({ ...move, instanceId: elsewhere.instanceId }))).toBe(
      "InvalidVolume.ZoneMismatch",
    );
    expect(await errorOf(ec2.attachVolume({ ...move, deviceName: "/dev/xvda", instanceId: fresh.instanceId }))).toBe(
      "InvalidParameterValue",
    );
    await ec2.attachVolume({ ...move, instanceId: fresh.instanceId });
    expect(await ec2.describeVolumes({ volumeIds: [vol] })).toMatchObject([{ attachments: [{ state: "attaching" }] }]);
    clock.advance(cloud.latencies.volumeMs);
    expect(await ec2.describeVolumes({ volumeIds: [vol] })).toMatchObject([
      { state: "in-use", attachments: [{ instanceId: fresh.instanceId, deviceName: "/dev/sdf", state: "attached" }] },
    ]);
    const [inst] = await ec2.describeInstances({ instanceIds: [fresh.instanceId] });
    expect(inst!.blockDevices).toContainEqual({ volumeId: vol, deviceName: "/dev/sdf", deleteOnTermination: false });
    // terminating the instance leaves an attached (DeleteOnTermination=false) volume available, not deleted
    await ec2.terminateInstances({ instanceIds: [fresh.instanceId] });
    expect(await ec2.describeVolumes({ volumeIds: [vol] })).toMatchObject([{ state: "available" }]);
    expect(await errorOf(ec2.describeVolumes({ volumeIds: ["vol-00000000000000dead"] }))).toBe(
      "InvalidVolume.NotFound",
    );
  });
});

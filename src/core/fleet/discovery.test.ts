import { describe, expect, it } from "vitest";
import type { Ec2Instance } from "../ports/ec2.js";
import { toManagedInstance } from "./discovery.js";

const base: Ec2Instance = {
  instanceId: "i-0db",
  instanceType: "r5.xlarge",
  az: "us-east-1a",
  state: "running",
  lifecycle: "on-demand",
  securityGroupIds: [],
  tags: { "spotwise:managed": "true", "spotwise:az-flexible": "true" },
  rootDeviceName: "/dev/xvda",
  blockDevices: [{ deviceName: "/dev/xvda", volumeId: "vol-root", deleteOnTermination: true }],
};

describe("a managed instance as discovery sees it", () => {
  it("is AZ-flexible when tagged so and it has no data volume kept on termination", () => {
    const m = toManagedInstance("111122223333", "us-east-1", base);
    expect(m.azFlexible).toBe(true);
    expect(m.dataVolumes).toBeUndefined();
  });

  it("a data volume kept on termination pins it to its AZ, whatever the tag says, and names the move", () => {
    const m = toManagedInstance("111122223333", "us-east-1", {
      ...base,
      blockDevices: [
        ...(base.blockDevices ?? []),
        { deviceName: "/dev/sdf", volumeId: "vol-data", deleteOnTermination: false },
        { deviceName: "/dev/sdg", volumeId: "vol-scratch", deleteOnTermination: true },
      ],
    });
    expect(m.azFlexible).toBe(false);
    expect(m.dataVolumes).toBe("data volumes moved: vol-data at /dev/sdf (instance stopped during the move)");
    // on-demand: it can be stopped for the move
    expect(m.switchBlocked).toBeUndefined();
    const spot = toManagedInstance("111122223333", "us-east-1", {
      ...base,
      lifecycle: "spot",
      blockDevices: [
        ...(base.blockDevices ?? []),
        { deviceName: "/dev/sdf", volumeId: "vol-data", deleteOnTermination: false },
      ],
    });
    expect(spot.switchBlocked).toMatch(/EC2 cannot stop a one-time Spot Instance: switch it by hand/);
  });
});

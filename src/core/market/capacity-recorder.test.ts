import { describe, expect, it } from "vitest";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { CodedError } from "../errors.js";
import { ManualClock } from "../ports/clock.js";
import type { Ec2Factory, Ec2Port, RunInstancesInput } from "../ports/ec2.js";
import { CapacityRecordingEc2Factory } from "./capacity-recorder.js";
import { silentLogger } from "./log.js";

const launch = (az: string, spot = true): RunInstancesInput => ({
  imageId: "ami-1",
  instanceType: "p3.2xlarge",
  az,
  securityGroupIds: [],
  tags: {},
  spot,
  clientToken: `t-${az}`,
});

describe("capacity observed on launch", () => {
  it("records a launched spot pool as available and InsufficientInstanceCapacity as lost, passing errors through", async () => {
    const store = new MemoryMarketStore();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const port = {
      accountId: "sim",
      region: "us-east-1",
      async runInstances(input: RunInstancesInput) {
        if (input.az === "us-east-1b") {
          throw new CodedError("aws_capacity", "no capacity", { awsError: "InsufficientInstanceCapacity" });
        }
        return { instanceId: "i-new" };
      },
      async describeInstances() {
        return [];
      },
    };
    // only the two calls exercised here are needed of the port
    const inner: Ec2Factory = { forAccount: async () => port as unknown as Ec2Port };
    const factory = new CapacityRecordingEc2Factory(inner, { store, clock, log: silentLogger });
    const ec2 = await factory.forAccount("sim", "us-east-1");
    expect(await ec2.runInstances(launch("us-east-1a"))).toEqual({ instanceId: "i-new" });
    await expect(ec2.runInstances(launch("us-east-1b"))).rejects.toMatchObject({ code: "aws_capacity" });
    await ec2.runInstances(launch("us-east-1c", false));
    expect(await ec2.describeInstances({})).toEqual([]);
    const cap = await store.readCapacity(
      ["us-east-1/us-east-1a/p3.2xlarge", "us-east-1/us-east-1b/p3.2xlarge", "us-east-1/us-east-1c/p3.2xlarge"],
      0,
    );
    expect(cap.get("us-east-1/us-east-1a/p3.2xlarge")).toEqual([{ ts: clock.now(), available: 1 }]);
    expect(cap.get("us-east-1/us-east-1b/p3.2xlarge")).toEqual([{ ts: clock.now(), available: 0 }]);
    expect(cap.get("us-east-1/us-east-1c/p3.2xlarge") ?? []).toEqual([]);
  });
});

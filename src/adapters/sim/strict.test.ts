/**
 * The simulated cloud answers the way AWS documents, errors included, so the saga's tests meet what production
 * meets: InvalidTarget, OperationNotPermitted, IncorrectInstanceState, 5xx, lost responses.
 */
import { describe, expect, it } from "vitest";
import { isCodedError } from "../../core/errors.js";
import { ManualClock } from "../../core/ports/clock.js";
import { awsErrorOf } from "../aws/errors.js";
import { SimCloud } from "./cloud.js";
import { SimEc2Port } from "./ec2-port.js";
import { SimTargetGroupPort } from "./factory.js";

const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/app/0123456789abcdef";

function world() {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  const a = cloud.seedInstance({ accountId: "sim", region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" });
  const b = cloud.seedInstance({ accountId: "sim", region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" });
  return { clock, cloud, a, b, ec2: new SimEc2Port(cloud, "sim", "us-east-1"), elb: new SimTargetGroupPort(cloud) };
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail");
}

describe("simulated ELB answers like ELBv2", () => {
  it("deregistering a running instance that is not registered succeeds; a terminated one is InvalidTarget", async () => {
    const { clock, cloud, a, elb } = world();
    await expect(elb.deregister({ targetGroupArn: TG, instanceId: a.instanceId })).resolves.toHaveProperty("requestId");
    cloud.reclaim(a.instanceId);
    clock.advance(cloud.latencies.terminateMs);
    const e = await failure(elb.deregister({ targetGroupArn: TG, instanceId: a.instanceId }));
    expect(awsErrorOf(e)).toBe("InvalidTarget");
    const unknown = await failure(elb.deregister({ targetGroupArn: TG, instanceId: "i-0000000000000dead" }));
    expect(awsErrorOf(unknown)).toBe("InvalidTarget");
  });

  it("only a running instance can be registered", async () => {
    const { cloud, a, elb } = world();
    cloud.reclaim(a.instanceId);
    const e = await failure(elb.register({ targetGroupArn: TG, instanceId: a.instanceId }));
    expect(awsErrorOf(e)).toBe("InvalidTarget");
    expect(cloud.targetGroups.get(TG)?.has(a.instanceId) ?? false).toBe(false);
  });
});

describe("simulated EC2 answers like EC2", () => {
  it("refuses to terminate a protected instance, terminating nothing of the batch", async () => {
    const { cloud, a, b, ec2 } = world();
    a.disableApiTermination = true;
    const e = await failure(ec2.terminateInstances({ instanceIds: [b.instanceId, a.instanceId] }));
    expect(awsErrorOf(e)).toBe("OperationNotPermitted");
    expect((e as Error).message).toContain("disableApiTermination");
    expect(cloud.stateOf(b)).toBe("running");
  });

  it("terminating a terminated instance succeeds; an unknown one is InvalidInstanceID.NotFound", async () => {
    const { a, ec2 } = world();
    await ec2.terminateInstances({ instanceIds: [a.instanceId] });
    await expect(ec2.terminateInstances({ instanceIds: [a.instanceId] })).resolves.toHaveProperty("requestId");
    const e = await failure(ec2.terminateInstances({ instanceIds: ["i-0000000000000dead"] }));
    expect(isCodedError(e, "not_found")).toBe(true);
    expect(awsErrorOf(e)).toBe("InvalidInstanceID.NotFound");
  });

  it("an Elastic IP goes only to a running or stopped instance (IncorrectInstanceState otherwise)", async () => {
    const { cloud, a, b, ec2 } = world();
    cloud.seedInstance(
      { instanceId: "i-0eip", accountId: "sim", region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" },
      { elasticIp: "203.0.113.9" },
    );
    const [addr] = await ec2.describeAddresses({ instanceId: "i-0eip" });
    cloud.reclaim(a.instanceId);
    const e = await failure(
      ec2.associateAddress({ allocationId: addr!.allocationId, instanceId: a.instanceId, allowReassociation: true }),
    );
    expect(awsErrorOf(e)).toBe("IncorrectInstanceState");
    const gone = await failure(
      ec2.associateAddress({ allocationId: "eipalloc-0dead", instanceId: b.instanceId, allowReassociation: true }),
    );
    expect(awsErrorOf(gone)).toBe("InvalidAllocationID.NotFound");
  });

  it("5xx answers are `unavailable` (retried); a lost response took effect but the caller sees a timeout", async () => {
    const { cloud, a, ec2 } = world();
    cloud.failNext("describeInstances", "server", 1);
    cloud.failNext("describeInstances", "unavailable", 1);
    for (const name of ["InternalError", "Unavailable"]) {
      const e = await failure(ec2.describeInstances({ instanceIds: [a.instanceId] }));
      expect(isCodedError(e, "unavailable")).toBe(true);
      expect(awsErrorOf(e)).toBe(name);
    }
    cloud.failNext("terminateInstances", "lost", 1);
    const lost = await failure(ec2.terminateInstances({ instanceIds: [a.instanceId] }));
    expect(isCodedError(lost, "deadline_exceeded")).toBe(true);
    expect(cloud.stateOf(a)).toBe("shutting-down");
  });
});

describe("simulated DescribeInstances", () => {
  it("lists a terminated instance only when asked for by id; shutting-down ones are listed", async () => {
    const { clock, cloud, a, b, ec2 } = world();
    cloud.reclaim(a.instanceId);
    const listed = async () =>
      (await ec2.describeInstances({ tagFilters: { "spotwise:managed": "true" } })).map((i) => [i.instanceId, i.state]);
    expect(await listed()).toEqual([
      [a.instanceId, "shutting-down"],
      [b.instanceId, "running"],
    ]);
    clock.advance(cloud.latencies.terminateMs);
    expect(await listed()).toEqual([[b.instanceId, "running"]]);
    const byId = await ec2.describeInstances({ instanceIds: [a.instanceId] });
    expect(byId.map((i) => [i.instanceId, i.state])).toEqual([[a.instanceId, "terminated"]]);
  });
});

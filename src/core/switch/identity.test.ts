/**
 * The same machine on the other side (simulated cloud): IMDSv2 required, a placement group, termination
 * protection, two Elastic IPs (primary and secondary private IP), a secondary private IP, a target group and
 * per-volume tags; what cannot be carried is in the plan. And preflight refuses early what EC2 would refuse late.
 */
import { describe, expect, it } from "vitest";
import { simRunner } from "../../../test/sim/harness.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import { ManualClock } from "../ports/clock.js";
import type { SwitchRequest } from "./types.js";

const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/app/0123456789abcdef";

function world() {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  const old = cloud.seedInstance(
    {
      instanceId: "i-0identity00000001",
      accountId: "sim",
      region: "us-east-1",
      az: "us-east-1a",
      instanceType: "m5.xlarge",
      subnetId: "subnet-a",
      privateIp: "10.0.1.10",
      privateIps: [
        { privateIp: "10.0.1.10", primary: true },
        { privateIp: "10.0.1.11", primary: false },
      ],
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2, httpEndpoint: "enabled" },
      placement: { groupName: "app-spread", tenancy: "default" },
      ebsOptimized: true,
      monitoring: true,
      sourceDestCheck: false,
      disableApiTermination: true,
      shutdownBehavior: "stop",
      tags: { Name: "app-1", "spotwise:managed": "true" },
    },
    { targetGroupArn: TG, rootVolumeTags: { Backup: "daily", Name: "app-1-root" } },
  );
  // two Elastic IPs: one on the primary private IP, one on the secondary
  for (const [publicIp, privateIp] of [
    ["203.0.113.20", "10.0.1.10"],
    ["203.0.113.21", "10.0.1.11"],
  ] as const) {
    const allocationId = cloud.id("eipalloc");
    cloud.addresses.set(allocationId, {
      allocationId,
      publicIp,
      privateIp,
      instanceId: old.instanceId,
      associationId: cloud.id("eipassoc"),
      accountId: "sim",
      region: "us-east-1",
    });
  }
  const h = simRunner({ cloud });
  const req = (to: string[], az = "us-east-1a"): SwitchRequest => ({
    instanceId: old.instanceId,
    accountId: "sim",
    region: "us-east-1",
    targets: to.map((instanceType) => ({ region: "us-east-1", az, instanceType })),
    requestedBy: "cli:alice",
    approval: { approvedBy: "cli:alice", approvedAt: clock.now(), expiresAt: clock.now() + 3600_000 },
  });
  return { clock, cloud, old, h, req };
}

describe("the replacement is the same machine", () => {
  it("reproduces IMDSv2, placement group, monitoring, EBS optimization, source/dest check, both EIPs on their private IPs, the secondary IP, the target group and volume tags", async () => {
    const { cloud, old, h, req } = world();
    const plan = await h.runner.plan(req(["m5a.xlarge"]));
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const text = plan.plan.join("\n");
    expect(text).toContain("carry over: instance metadata: HttpTokens=required, hop limit 2");
    expect(text).toContain("carry over: placement group app-spread");
    expect(text).toContain("carry over: Elastic IP 203.0.113.21 → 10.0.1.11");
    expect(text).toContain("carry over: secondary private IPs 10.0.1.11 (moved at cutover)");
    expect(text).toMatch(/NOT carried over: termination protection \(AWS does not allow it on Spot Instances\)/);
    expect(text).toContain("NOT carried over: primary private IP 10.0.1.10");
    expect(text).toContain("NOT carried over: shutdown behaviour 'stop'");
    expect(plan.summary).toContain("not carried over: termination protection");

    const out = await h.runner.start(req(["m5a.xlarge"]));
    expect(out.state, out.reason).toBe("done");
    const fresh = cloud.instances.get(out.newInstanceId!)!;
    expect(fresh.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 2 });
    expect(fresh.placement).toMatchObject({ groupName: "app-spread" });
    expect(fresh).toMatchObject({ ebsOptimized: true, monitoring: true, sourceDestCheck: false, lifecycle: "spot" });
    const addrs = [...cloud.addresses.values()];
    expect(addrs.map((a) => [a.publicIp, a.instanceId, a.privateIp])).toEqual([
      ["203.0.113.20", fresh.instanceId, fresh.privateIps!.find((p) => p.primary)!.privateIp],
      ["203.0.113.21", fresh.instanceId, "10.0.1.11"],
    ]);
    expect(fresh.privateIps!.map((p) => p.privateIp)).toContain("10.0.1.11");
    expect([...cloud.targetGroups.get(TG)!]).toEqual([fresh.instanceId]);
    const rootVol = cloud.volumes.get(fresh.blockDevices![0]!.volumeId)!;
    expect(rootVol.tags).toMatchObject({ Backup: "daily", Name: "app-1-root" });
    // the old one was protected: protection turned off right before its terminate, after verification
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).not.toBe("running");
    const mods = cloud.callsOf("modifyInstanceAttribute").map((c) => c.input);
    expect(mods).toContainEqual({ instanceId: old.instanceId, disableApiTermination: false });
    // no orphan: the old root volume went with it (DeleteOnTermination)
    expect([...cloud.volumes.values()].filter((v) => !v.deleted && !v.attachment)).toEqual([]);
  });

  it("a rollback puts both EIPs back on their own private IPs of the old instance", async () => {
    const { cloud, old, h, req } = world();
    cloud.failNext("deregisterTarget", "denied", 1);
    const out = await h.runner.start(req(["m5a.xlarge"]));
    expect(out.state).toBe("rolled_back");
    expect([...cloud.addresses.values()].map((a) => [a.instanceId, a.privateIp])).toEqual([
      [old.instanceId, "10.0.1.10"],
      [old.instanceId, "10.0.1.11"],
    ]);
    expect(cloud.instances.get(old.instanceId)!.privateIps!.map((p) => p.privateIp)).toEqual([
      "10.0.1.10",
      "10.0.1.11",
    ]);
    expect(cloud.instances.get(old.instanceId)!.disableApiTermination).toBe(true);
  });
});

describe("preflight fails early", () => {
  it("refuses an unknown type, an architecture mismatch and a type not offered in the AZ before imaging, without touching the breaker", async () => {
    const { cloud, h, req } = world();
    cloud.notOffered.add("us-east-1/us-east-1a/c5a.xlarge");
    const out = await h.runner.start(req(["m9z.huge", "m6g.xlarge", "c5a.xlarge"]));
    expect(out).toMatchObject({ state: "refused", code: "invalid_input" });
    expect(out.reason).toContain("instance type m9z.huge does not exist");
    expect(out.reason).toContain("m6g.xlarge is arm64, the image is x86_64");
    expect(out.reason).toContain("c5a.xlarge is not offered in us-east-1a");
    expect(cloud.callsOf("createImage")).toHaveLength(0);
    expect((await h.control.breaker("sim")).consecutiveFailures).toBe(0);
  });

  it("skips unusable targets and switches to a usable one", async () => {
    const { cloud, h, req } = world();
    const out = await h.runner.start(req(["m6g.xlarge", "m5a.xlarge"]));
    expect(out.state, out.reason).toBe("done");
    expect(cloud.instances.get(out.newInstanceId!)!.instanceType).toBe("m5a.xlarge");
  });

  it("refuses an instance whose data volume is kept on termination, rather than orphaning it", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    const cloud = new SimCloud({ clock });
    const old = cloud.seedInstance(
      { accountId: "sim", region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" },
      { dataVolumes: [{ deviceName: "/dev/sdf", deleteOnTermination: false }] },
    );
    const h = simRunner({ cloud });
    const out = await h.runner.start({
      instanceId: old.instanceId,
      accountId: "sim",
      region: "us-east-1",
      targets: [{ region: "us-east-1", az: "us-east-1a", instanceType: "m5a.large" }],
      requestedBy: "cli:alice",
      approval: { approvedBy: "cli:alice", approvedAt: clock.now(), expiresAt: clock.now() + 3600_000 },
    });
    expect(out).toMatchObject({ state: "refused", code: "invalid_input" });
    expect(out.reason).toMatch(/data volume\(s\) kept on termination \(vol-\w+ at \/dev\/sdf\)/);
    expect(cloud.callsOf("createImage")).toHaveLength(0);
  });
});

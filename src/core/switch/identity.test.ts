/**
 * The same machine on the other side (simulated cloud): IMDSv2 required, a placement group, termination
 * protection, two Elastic IPs (primary and secondary private IP), a secondary private IP, a target group,
 * per-volume tags and a data volume kept on termination (moved, not copied); what cannot be carried is in the
 * plan. And preflight refuses early what EC2 would refuse late.
 */
import { describe, expect, it } from "vitest";
import { simRunner } from "../../../test/sim/harness.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import { ManualClock } from "../ports/clock.js";
import { dataVolumeModeOf, identityPlan } from "./identity.js";
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
    {
      targetGroupArn: TG,
      rootVolumeTags: { Backup: "daily", Name: "app-1-root" },
      dataVolumes: [{ deviceName: "/dev/sdf", deleteOnTermination: false, tags: { Name: "app-1-data" } }],
    },
  );
  const dataVolume = old.blockDevices!.find((b) => b.deviceName === "/dev/sdf")!.volumeId;
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
  return { clock, cloud, old, h, req, dataVolume };
}

describe("the replacement is the same machine", () => {
  it("reproduces IMDSv2, placement group, monitoring, EBS optimization, source/dest check, both EIPs on their private IPs, the secondary IP, the target group, volume tags and the data volume", async () => {
    const { cloud, old, h, req, dataVolume } = world();
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
    const mode = `data volumes moved: ${dataVolume} at /dev/sdf (instance stopped during the move)`;
    expect(text).toContain(`carry over: ${mode}`);
    expect(plan.summary).toContain(mode);
    expect(text).toContain(`stop ${old.instanceId} (its writes stop`);
    expect(text).toContain("NOT carried over: later switches by spotwise (the replacement is a one-time Spot Instance");

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
    // the data volume moved (not copied): the image and the launch left /dev/sdf out, the original is attached
    expect(cloud.callsOf("createImage")[0]!.input).toMatchObject({ noDevices: ["/dev/sdf"] });
    expect([...cloud.images.values()][0]!.devices!.map((d) => d.deviceName)).toEqual(["/dev/xvda"]);
    expect(fresh.blockDevices!.filter((b) => b.deviceName === "/dev/sdf")).toEqual([
      { volumeId: dataVolume, deviceName: "/dev/sdf", deleteOnTermination: false },
    ]);
    expect(cloud.volumes.get(dataVolume)).toMatchObject({
      tags: { Name: "app-1-data" },
      attachment: { instanceId: fresh.instanceId, deviceName: "/dev/sdf" },
    });
    expect([...cloud.volumes.values()].filter((v) => !v.deleted)).toHaveLength(2);
    // the old instance was stopped before its volume was detached, and terminated only after the attach
    const order = cloud.calls.map((c) => c.op).filter((op) => /stop|Volume$|terminate/.test(op));
    expect(order).toEqual(["stopInstances", "detachVolume", "attachVolume", "terminateInstances"]);
  });

  it("a rollback puts both EIPs back on their own private IPs of the old instance, and its data volume, and starts it", async () => {
    const { cloud, old, h, req, dataVolume } = world();
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
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).toBe("running");
    expect(cloud.volumes.get(dataVolume)!.attachment).toMatchObject({
      instanceId: old.instanceId,
      deviceName: "/dev/sdf",
    });
    expect(cloud.callsOf("startInstances").map((c) => c.input)).toEqual([{ instanceIds: [old.instanceId] }]);
    expect([...cloud.volumes.values()].filter((v) => !v.deleted && !v.attachment)).toEqual([]);
  });
});

describe("the data volume mode", () => {
  it("is read from a described instance as from the preflight: kept non-root volumes move, scratch ones do not", () => {
    const blockDevices = [
      { deviceName: "/dev/xvda", volumeId: "vol-root", deleteOnTermination: false },
      { deviceName: "/dev/sdf", volumeId: "vol-data", deleteOnTermination: false },
      { deviceName: "/dev/sdg", volumeId: "vol-scratch", deleteOnTermination: true },
    ];
    expect(dataVolumeModeOf({ blockDevices, rootDeviceName: "/dev/xvda" })).toBe(
      "data volumes moved: vol-data at /dev/sdf (instance stopped during the move)",
    );
    expect(dataVolumeModeOf({ blockDevices: blockDevices.slice(0, 1), rootDeviceName: "/dev/xvda" })).toBeUndefined();
    const volumes = blockDevices.map((b) => ({ ...b, tags: {} }));
    const plan = identityPlan(
      { privateIps: [], volumes, rootDeviceName: "/dev/xvda" },
      {
        sourceType: "m5.large",
        target: { region: "r", az: "a", instanceType: "m5a.large" },
        sameSubnet: true,
        addresses: [],
      },
    );
    expect(plan.notCarried.join("\n")).toContain(
      "root volume vol-root is kept on termination (DeleteOnTermination=false): the replacement boots from the image, and the old root volume stays behind",
    );
    expect(plan.carried.join("\n")).toContain(
      "data volumes copied from the image (DeleteOnTermination=true, deleted with the old instance): /dev/sdg",
    );
  });
});

describe("the primary private IP", () => {
  it("stays with the old instance until it is terminated: the replacement gets a new one, and the plan says why", async () => {
    const { cloud, old, h, req } = world();
    const out = await h.runner.start(req(["m5a.xlarge"]));
    expect(out.state, out.reason).toBe("done");
    // launching with it would fail (InvalidIPAddress.InUse): the old instance still holds it at launch time
    expect(cloud.callsOf("runInstances")[0]!.input).not.toHaveProperty("privateIp");
    const fresh = cloud.instances.get(out.newInstanceId!)!;
    expect(fresh.privateIps!.find((p) => p.primary)!.privateIp).not.toBe("10.0.1.10");
    expect(old.privateIps!.find((p) => p.primary)!.privateIp).toBe("10.0.1.10");
    const launch = { privateIps: [{ privateIp: "10.0.1.10", primary: true }], volumes: [] };
    const target = { region: "us-east-1", az: "us-east-1b", instanceType: "m5a.xlarge" };
    const other = identityPlan(launch, { sourceType: "m5.xlarge", target, sameSubnet: false, addresses: [] });
    expect(other.notCarried).toContain(
      "primary private IP 10.0.1.10 (the target AZ is another subnet); the replacement gets a new one",
    );
    const same = identityPlan(launch, { sourceType: "m5.xlarge", target, sameSubnet: true, addresses: [] });
    expect(same.notCarried.join("\n")).toMatch(
      /primary private IP 10\.0\.1\.10 \(the old instance holds it until it is terminated, after the replacement took over\); the replacement gets a new one/,
    );
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

  it("with a data volume: skips targets in other AZs (a volume attaches only in its AZ); refuses when none is left", async () => {
    const { cloud, h, req, dataVolume } = world();
    const plan = await h.runner.plan({
      ...req(["m5a.xlarge"], "us-east-1b"),
      targets: [
        { region: "us-east-1", az: "us-east-1b", instanceType: "m5a.xlarge" },
        { region: "us-east-1", az: "us-east-1a", instanceType: "m6i.xlarge" },
      ],
    });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.targets.map((t) => t.az)).toEqual(["us-east-1a"]);
    expect(plan.checks.join("\n")).toContain(
      `us-east-1/us-east-1b/m5a.xlarge (data volume(s) ${dataVolume} live in us-east-1a; an EBS volume attaches only in its own AZ)`,
    );
    const out = await h.runner.start(req(["m5a.xlarge"], "us-east-1b"));
    expect(out).toMatchObject({ state: "refused", code: "invalid_input" });
    expect(out.reason).toContain("an EBS volume attaches only in its own AZ");
    expect(cloud.callsOf("createImage")).toHaveLength(0);
  });

  it("with a data volume: refuses stop protection and a Multi-Attach volume before anything changes", async () => {
    const { cloud, old, h, req, dataVolume } = world();
    cloud.instances.get(old.instanceId)!.disableApiStop = true;
    const out = await h.runner.start(req(["m5a.xlarge"]));
    expect(out).toMatchObject({ state: "refused", code: "invalid_input" });
    expect(out.reason).toContain("has stop protection (DisableApiStop)");
    cloud.instances.get(old.instanceId)!.disableApiStop = false;
    // a volume attached to a second instance as well (io2 Multi-Attach), as DescribeVolumes would list it
    const forAccount = h.ec2.forAccount.bind(h.ec2);
    h.ec2.forAccount = async (...args) => {
      const port = await forAccount(...args);
      return Object.assign(Object.create(port), {
        describeVolumes: async (input: { volumeIds: string[] }) =>
          (await port.describeVolumes(input)).map((v) =>
            v.volumeId === dataVolume
              ? {
                  ...v,
                  attachments: [
                    ...v.attachments,
                    { instanceId: "i-0other", deviceName: "/dev/sdf", state: "attached" },
                  ],
                }
              : v,
          ),
      });
    };
    const multi = await h.runner.start(req(["m5a.xlarge"]));
    expect(multi).toMatchObject({ state: "refused", code: "invalid_input" });
    expect(multi.reason).toContain(`data volume ${dataVolume} is attached to 2 instances (Multi-Attach)`);
    expect(cloud.callsOf("createImage")).toHaveLength(0);
    expect(cloud.callsOf("stopInstances")).toHaveLength(0);
  });

  it("refuses a Spot Instance with a data volume (EC2 cannot stop a one-time Spot Instance), rather than orphaning it", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    const cloud = new SimCloud({ clock });
    const old = cloud.seedInstance(
      { accountId: "sim", region: "us-east-1", az: "us-east-1a", instanceType: "m5.large", lifecycle: "spot" },
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
    expect(out.reason).toMatch(/Spot Instance with data volume\(s\) kept on termination \(vol-\w+ at \/dev\/sdf\)/);
    expect(out.reason).toContain("cannot stop a one-time Spot Instance");
    expect(cloud.callsOf("createImage")).toHaveLength(0);
  });
});

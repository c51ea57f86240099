import { describe, expect, it } from "vitest";
import { approvedSwitch, simRunner } from "../../../test/sim/harness.js";
import { SimCloud, type SimOperation } from "../../adapters/sim/cloud.js";
import { MemoryControlStore } from "../control/store.js";
import { MemoryAuditLog } from "../ports/audit.js";
import { ManualClock } from "../ports/clock.js";
import { MemorySagaStore } from "./memory-store.js";
import { DEFAULT_SWITCH_SETTINGS, type SagaOutcome, type SwitchRequest } from "./types.js";

const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/app/0123456789abcdef";
type Fault = "crash-before" | "crash-after" | "lost" | "5xx" | "throttling-once" | "throttling" | "reclaimed";
const FAULTS: Fault[] = ["crash-before", "crash-after", "lost", "5xx", "throttling-once", "throttling", "reclaimed"];

function world() {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  const old = cloud.seedInstance(
    { accountId: "sim", region: "us-east-1", az: "us-east-1a", instanceType: "m5.xlarge", subnetId: "subnet-a" },
    {
      elasticIp: "203.0.113.10",
      targetGroupArn: TG,
      dataVolumes: [{ deviceName: "/dev/sdf", deleteOnTermination: false, tags: { Name: "data" } }],
    },
  );
  const dataVolume = old.blockDevices!.find((b) => b.deviceName === "/dev/sdf")!.volumeId;
  const stores = {
    store: new MemorySagaStore(() => clock.now()),
    controlStore: new MemoryControlStore(),
    audit: new MemoryAuditLog(),
  };
  const make = () => simRunner({ cloud, ...stores, settings: { healthCheckUrl: "http://x/health" } });
  const req: SwitchRequest = approvedSwitch(old.instanceId, clock.now());
  return { clock, cloud, old, dataVolume, stores, make, req };
}
type World = ReturnType<typeof world>;

/** True once the data volume sits on a replacement: the describe that verifies it (or the last poll of the attach). */
const onReplacement = (w: World) => () => {
  const a = w.cloud.volumes.get(w.dataVolume)?.attachment;
  return !!a && a.instanceId !== w.old.instanceId && a.detachingAt === undefined;
};

const OPS: Array<{ op: SimOperation; when?: (w: World) => () => boolean }> = [
  { op: "createImage" },
  { op: "runInstances" },
  { op: "stopInstances" },
  { op: "detachVolume" },
  { op: "attachVolume" },
  { op: "describeVolumes", when: onReplacement },
  { op: "associateAddress" },
  { op: "registerTarget" },
  { op: "terminateInstances" },
];

function inject(w: World, op: SimOperation, fault: Fault, when?: () => boolean): Promise<SimOperation> | null {
  switch (fault) {
    case "crash-before":
      return w.cloud.crashBefore(op, when);
    case "crash-after":
      return w.cloud.crashAfter(op, when);
    case "reclaimed":
      return op === "terminateInstances" ? w.cloud.crashBefore(op, when) : w.cloud.crashAfter(op, when);
    case "lost":
      w.cloud.failNext(op, "lost", 1, when);
      return null;
    case "5xx":
      w.cloud.failNext(op, "server", 1, when);
      w.cloud.failNext(op, "unavailable", 1, when);
      return null;
    case "throttling-once":
      w.cloud.failNext(op, "throttling", 1, when);
      return null;
    case "throttling":
      w.cloud.failNext(op, "throttling", 8, when);
      return null;
  }
}

/** Runs `work` against a crash armed by `crash` (if any); "crash" when the process died. */
async function raceCrash<T>(crash: Promise<SimOperation> | null, work: Promise<T>): Promise<T | "crash"> {
  return crash ? Promise.race([crash.then(() => "crash" as const), work]) : work;
}

/** Restarts the process (a new runner over the same stores) until nothing is in flight. */
async function resumeUntilQuiet(w: World): Promise<SagaOutcome | undefined> {
  let last: SagaOutcome | undefined;
  for (let i = 0; i < 3 && (await w.stores.store.listActive()).length; i++) {
    last = (await w.make().runner.resumeAll()).at(-1) ?? last;
  }
  expect(await w.stores.store.listActive(), "nothing left in flight").toEqual([]);
  return last;
}

/** Exactly one running instance with the EIP, the target group and the data volume; nothing orphaned. */
async function assertOneWithIdentity(w: World, label: string) {
  const { cloud, old, dataVolume } = w;
  const mine = [...cloud.instances.values()];
  const running = mine.filter((i) => ["running", "pending"].includes(cloud.stateOf(i)));
  expect(
    running.map((i) => i.instanceId),
    `${label}: exactly one running instance`,
  ).toHaveLength(1);
  const one = running[0]!;
  expect(cloud.stateOf(one), `${label}: it runs`).toBe("running");
  for (const i of mine.filter((x) => x !== one)) {
    expect(["terminated", "shutting-down"], `${label}: ${i.instanceId} is not left behind`).toContain(cloud.stateOf(i));
  }
  expect([...cloud.addresses.values()][0]!.instanceId, `${label}: the EIP is on it`).toBe(one.instanceId);
  expect([...cloud.targetGroups.get(TG)!], `${label}: the target group has it alone`).toEqual([one.instanceId]);
  const [vol] = await (await w.make().ec2.forAccount("sim", "us-east-1")).describeVolumes({ volumeIds: [dataVolume] });
  expect(vol!.attachments, `${label}: the data volume is attached to it at /dev/sdf`).toEqual([
    { instanceId: one.instanceId, deviceName: "/dev/sdf", state: "attached" },
  ]);
  expect(one.blockDevices!.filter((b) => b.deviceName === "/dev/sdf").map((b) => b.volumeId)).toEqual([dataVolume]);
  const orphans = [...cloud.volumes.values()].filter((v) => !v.deleted && !v.attachment);
  expect(orphans, `${label}: no orphaned volume`).toEqual([]);
  // no copy: no image holds the data device, and no launch created one
  for (const img of cloud.images.values()) expect(img.devices!.map((d) => d.deviceName)).toEqual(["/dev/xvda"]);
  for (const v of cloud.volumes.values()) {
    if (v.volumeId !== dataVolume) expect(v.attachment?.deviceName ?? "/dev/xvda").toBe("/dev/xvda");
  }
  if (one.instanceId !== old.instanceId)
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).not.toBe("stopped");
  // every image and snapshot goes once the retention passed
  w.clock.advance(DEFAULT_SWITCH_SETTINGS.imageRetentionMs + 1);
  await w.make().runner.cleanupImages();
  for (const img of cloud.images.values()) {
    expect(img.state, `${label}: image ${img.imageId} cleaned`).toBe("deregistered");
    expect(img.snapshotIds, `${label}: snapshots deleted`).toEqual([]);
  }
}

async function runCase(op: SimOperation, fault: Fault, when?: (w: World) => () => boolean) {
  const w = world();
  const crash = inject(w, op, fault, when?.(w));
  const first = await raceCrash(crash, w.make().runner.start(w.req));
  if (first === "crash" && fault === "reclaimed") {
    for (const i of w.cloud.instances.values()) if (i.instanceId !== w.old.instanceId) w.cloud.reclaim(i.instanceId);
  }
  if (first !== "crash" && fault.startsWith("crash")) throw new Error(`${op}×${fault}: the crash never happened`);
  const resumed = await resumeUntilQuiet(w);
  const label = `${op}×${fault}`;
  const sagaId = (await w.stores.store.findByRecommendation(w.req.approval!.recommendationId!))?.id;
  const retry = await w.make().runner.start(w.req);
  if (sagaId) expect(retry.state, `${label}: a retry never switches twice`).toBe("duplicate");
  const saga = sagaId ? await w.stores.store.get(sagaId) : undefined;
  const final = saga?.state ?? (first === "crash" ? retry.state : (resumed ?? first).state);
  expect(["done", "rolled_back"], `${label}: ${saga?.error ?? ""}`).toContain(final);
  if (["crash-before", "crash-after", "lost", "5xx", "throttling-once"].includes(fault)) {
    expect(final, `${label}: a transient fault or a restart never changes the result (${saga?.error})`).toBe("done");
  }
  await assertOneWithIdentity(w, label);
}

describe("data volume switch fault matrix", () => {
  for (const { op, when } of OPS) {
    for (const fault of FAULTS) it(`${op} × ${fault}`, () => runCase(op, fault, when));
  }
});

describe("the application is checked with its data", () => {
  it("an application healthy only with its data volume: checked after the attach, then the identity moves", async () => {
    const w = world();
    w.cloud.appCondition = (i) => (i.blockDevices ?? []).some((b) => b.volumeId === w.dataVolume);
    const out = await w.make().runner.start(w.req);
    expect(out.state, out.reason).toBe("done");
    const steps = (await w.stores.store.steps(out.sagaId!)).map((s) => `${s.step}:${s.status}`);
    expect(steps.indexOf("health_check:ok")).toBeGreaterThan(steps.indexOf("verify_volumes:ok"));
    expect(steps.indexOf("health_check:ok")).toBeLessThan(steps.indexOf("carry_eip:ok"));
    await assertOneWithIdentity(w, "healthy with its data");
  });

  it("an application that fails its health check with its data: rolled back, the volume back on the old instance, which runs again", async () => {
    const w = world();
    w.cloud.appCondition = (i) => i.instanceId === w.old.instanceId;
    const out = await w.make().runner.start(w.req);
    expect(out).toMatchObject({ state: "rolled_back", code: "deadline_exceeded" });
    expect(out.reason).toContain("health check http://x/health passing did not happen");
    await assertOneWithIdentity(w, "unhealthy with its data");
    expect([...w.cloud.addresses.values()][0]!.instanceId).toBe(w.old.instanceId);
    expect(w.cloud.callsOf("startInstances").map((c) => c.input)).toEqual([{ instanceIds: [w.old.instanceId] }]);
  });
});

describe("a move slower than its deadline", () => {
  it("the old instance takes longer to stop than the deadline: rolled back, it is started again with its volume", async () => {
    const w = world();
    w.cloud.latencies.stopMs = DEFAULT_SWITCH_SETTINGS.launchDeadlineMs + 5 * 60_000;
    const out = await w.make().runner.start(w.req);
    expect(out).toMatchObject({ state: "rolled_back", code: "deadline_exceeded" });
    expect(out.reason).toContain(`${w.old.instanceId} stopped did not happen within 15 min`);
    expect(w.cloud.callsOf("detachVolume")).toEqual([]);
    expect(w.cloud.callsOf("startInstances").map((c) => c.input)).toEqual([{ instanceIds: [w.old.instanceId] }]);
    await assertOneWithIdentity(w, "slow stop");
  });

  it("the volume takes long to attach: rolled back, it comes off the replacement and goes back to the old instance", async () => {
    const w = world();
    w.cloud.latencies.volumeMs = 8 * 60_000;
    const out = await w.make().runner.start(w.req);
    expect(out).toMatchObject({ state: "rolled_back", code: "deadline_exceeded" });
    expect(out.reason).toContain(`${w.dataVolume} attached to`);
    const moves = w.cloud.calls
      .filter((c) => c.op === "detachVolume" || c.op === "attachVolume")
      .map((c) => `${c.op} ${(c.input as { instanceId: string }).instanceId === w.old.instanceId ? "old" : "new"}`);
    expect(moves).toEqual(["detachVolume old", "attachVolume new", "detachVolume new", "attachVolume old"]);
    await assertOneWithIdentity(w, "slow attach");
  });
});

describe("crashes inside the rollback that puts the data volume back", () => {
  /** Moved, then the replacement reclaimed while down: the resume rolls back, and dies again at `op`. */
  async function rollbackCrash(op: SimOperation, where: "before" | "after", when?: (w: World) => () => boolean) {
    const w = world();
    const first = await raceCrash(w.cloud.crashAfter("attachVolume"), w.make().runner.start(w.req));
    expect(first).toBe("crash");
    for (const i of w.cloud.instances.values()) if (i.instanceId !== w.old.instanceId) w.cloud.reclaim(i.instanceId);
    const arm = where === "before" ? w.cloud.crashBefore(op, when?.(w)) : w.cloud.crashAfter(op, when?.(w));
    const second = await raceCrash(arm, w.make().runner.resumeAll());
    expect(second, `the rollback died at ${op}`).toBe("crash");
    const saga = (await w.stores.store.listActive())[0]!;
    expect(saga.state).toBe("rolling_back");
    await resumeUntilQuiet(w);
    expect((await w.stores.store.get(saga.id))!.state).toBe("rolled_back");
    await assertOneWithIdentity(w, `rollback ${where} ${op}`);
    expect(w.cloud.instances.get(w.old.instanceId)!.instanceId).toBe([...w.cloud.addresses.values()][0]!.instanceId);
  }
  const toOld = (w: World) => () => w.cloud.volumes.get(w.dataVolume)?.attachment === undefined;
  for (const where of ["before", "after"] as const) {
    it(`crash ${where} AttachVolume back to the old instance`, () => rollbackCrash("attachVolume", where, toOld));
    it(`crash ${where} StartInstances of the old instance`, () => rollbackCrash("startInstances", where));
  }

  it("killed before TerminateInstances, the data volume taken off the replacement meanwhile: the old one is not terminated, it gets its volume back", async () => {
    const w = world();
    expect(await raceCrash(w.cloud.crashBefore("terminateInstances"), w.make().runner.start(w.req))).toBe("crash");
    const saga = (await w.stores.store.listActive())[0]!;
    expect(saga.state).toBe("terminating_old");
    const ec2 = await w.make().ec2.forAccount("sim", "us-east-1");
    await ec2.detachVolume({ volumeId: w.dataVolume, instanceId: saga.newInstanceId!, deviceName: "/dev/sdf" });
    const [out] = await w.make().runner.resumeAll();
    expect(out).toMatchObject({ state: "rolled_back" });
    expect(out!.reason).toContain(`data volume ${w.dataVolume} is not attached to ${saga.newInstanceId} at /dev/sdf`);
    expect(w.cloud.callsOf("terminateInstances").map((c) => c.input)).not.toContainEqual({
      instanceIds: [w.old.instanceId],
    });
    await assertOneWithIdentity(w, "volume taken off before terminate");
    expect([...w.cloud.addresses.values()][0]!.instanceId).toBe(w.old.instanceId);
  });

  it("the old instance is gone while its volume is detached and the replacement is reclaimed: needs attention, says where the volume is", async () => {
    const w = world();
    const alerts: string[] = [];
    const first = await raceCrash(w.cloud.crashAfter("detachVolume"), w.make().runner.start(w.req));
    expect(first).toBe("crash");
    for (const i of w.cloud.instances.values()) w.cloud.reclaim(i.instanceId);
    const h = simRunner({ cloud: w.cloud, ...w.stores, notifier: { alert: async (t) => void alerts.push(t) } });
    const [out] = await h.runner.resumeAll();
    expect(out).toMatchObject({ state: "needs_attention", code: "nothing_running" });
    expect(out!.reason).toContain(
      `attach its data volumes to the instance you launch: data volume ${w.dataVolume} (/dev/sdf)`,
    );
    expect(alerts.join("\n")).toContain(`data volume ${w.dataVolume} (/dev/sdf) detached (available)`);
  });
});

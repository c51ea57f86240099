/**
 * The fault matrix: every step × {throttling (once and persistent), InsufficientInstanceCapacity, deadline
 * exceeded, AWS 5xx, a lost response (the call took effect, the answer never came), process crash then resume,
 * crash then the replacement reclaimed while spotwise is down}. After each run (and after every restart) the
 * invariants hold, and every case ends with exactly one running instance carrying the identity (EIP, target
 * group) and nothing orphaned (no replacement, no detached volume).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvedSwitch, simRunner } from "../../../test/sim/harness.js";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { DbAuditLog } from "../../adapters/db/audit-repo.js";
import { DbControlStore } from "../../adapters/db/control-repo.js";
import type { Database } from "../../adapters/db/orm.js";
import { DbSagaStore } from "../../adapters/db/saga-repo.js";
import { SimCloud, type SimOperation } from "../../adapters/sim/cloud.js";
import { seedSimFleet } from "../../adapters/sim/seed.js";
import { type ControlStore, MemoryControlStore } from "../control/store.js";
import { type AuditLog, MemoryAuditLog } from "../ports/audit.js";
import { ManualClock } from "../ports/clock.js";
import { MemorySagaStore } from "./memory-store.js";
import type { SagaOutcome, SagaStore, StepName, SwitchRequest } from "./types.js";

type Fault = "throttling-once" | "throttling" | "capacity" | "deadline" | "crash" | "5xx" | "lost" | "reclaimed";

const STEPS: Array<{ step: StepName; op: SimOperation; stall?: "images" | "statusChecks" | "health" }> = [
  { step: "preflight", op: "describeAddresses" },
  { step: "create_image", op: "createImage" },
  { step: "wait_image", op: "describeImages", stall: "images" },
  { step: "run_instances", op: "runInstances" },
  { step: "wait_running", op: "describeInstanceStatus", stall: "statusChecks" },
  { step: "health_check", op: "healthCheck", stall: "health" },
  { step: "carry_eip", op: "associateAddress" },
  { step: "carry_target_groups", op: "registerTarget" },
  { step: "terminate_old", op: "terminateInstances" },
];
const FAULTS: Fault[] = ["throttling-once", "throttling", "capacity", "deadline", "crash", "5xx", "lost", "reclaimed"];

interface Stores {
  store: SagaStore;
  controlStore: ControlStore;
  audit: AuditLog;
}

const memoryStores = (clock: ManualClock): Stores => ({
  store: new MemorySagaStore(() => clock.now()),
  controlStore: new MemoryControlStore(),
  audit: new MemoryAuditLog(),
});

function world(makeStores: (clock: ManualClock) => Stores) {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  const [old] = seedSimFleet(cloud);
  const seeded = new Set([...cloud.instances.keys()]);
  const stores = makeStores(clock);
  const req: SwitchRequest = approvedSwitch(old!.instanceId, clock.now());
  return { clock, cloud, old: old!, seeded, stores, req };
}

type World = ReturnType<typeof world>;

/** The invariants that must hold whatever happened. */
async function assertInvariants(w: World, h: ReturnType<typeof simRunner>, label: string) {
  const { cloud, old, seeded } = w;
  const oldInst = cloud.instances.get(old.instanceId)!;
  const created = [...cloud.instances.values()].filter((i) => !seeded.has(i.instanceId));
  const aliveNew = created.filter((i) => cloud.stateOf(i) === "running" || cloud.stateOf(i) === "pending");
  const oldRunning = cloud.stateOf(oldInst) === "running";
  const oldHealthy = oldRunning && cloud.healthy(old.instanceId);
  const healthyNew = aliveNew.filter((i) => cloud.healthy(i.instanceId));
  // at least one of old/new is running and healthy
  expect(oldHealthy || healthyNew.length > 0, `${label}: something is running and healthy`).toBe(true);
  // never more than one replacement alive
  expect(aliveNew.length, `${label}: at most one replacement`).toBeLessThanOrEqual(1);
  const sagas = [...(await h.store.listActive())];
  const all = sagas.length ? sagas : [];
  const rows = await Promise.all(
    [...new Set(created.map((i) => i.tags["spotwise:saga-id"]!))].map((id) => h.store.get(id)),
  );
  // the old one is terminated only if the new one passed its checks
  if (!oldRunning) {
    const saga = rows.find((r) => r?.newInstanceId);
    expect(saga?.context.verifiedAt, `${label}: old terminated only after verification`).toBeDefined();
    expect(
      healthyNew.map((i) => i.instanceId),
      `${label}: the verified replacement is healthy`,
    ).toEqual([saga!.newInstanceId]);
  }
  // nothing spotwise created is left untagged
  for (const i of created) {
    expect(i.tags["spotwise:saga-id"], `${label}: instance ${i.instanceId} tagged`).toBeTruthy();
    expect(i.tags["spotwise:created-by"]).toBe("spotwise");
    expect(i.tags["spotwise:managed"]).toBe("true");
  }
  for (const img of cloud.images.values()) {
    expect(img.tags["spotwise:saga-id"], `${label}: image ${img.imageId} tagged`).toBeTruthy();
  }
  // the Elastic IP is on a running instance
  const eip = [...cloud.addresses.values()][0]!;
  const holder = cloud.instances.get(eip.instanceId ?? "");
  if (all.length === 0) {
    expect(holder && cloud.stateOf(holder), `${label}: EIP on a running instance`).toBe("running");
  }
}

async function assertAuditComplete(w: World, sagaId: string, label: string) {
  const events = (await w.stores.audit.list({ limit: 100_000 })).filter((e) => e.detail?.sagaId === sagaId);
  const actions = events.map((e) => e.action);
  expect(actions, label).toContain("switch.started");
  expect(actions.includes("switch.done") || actions.includes("switch.rolled_back"), `${label}: final event`).toBe(true);
  const steps = await w.stores.store.steps(sagaId);
  expect(
    steps.every((s) => s.status !== "started"),
    `${label}: no dangling step`,
  ).toBe(true);
  const stepEvents = events.filter((e) => e.action === "switch.step");
  expect(stepEvents.length, `${label}: one audit event per step row`).toBe(steps.length);
  for (const s of steps) {
    expect(
      stepEvents.some((e) => e.detail?.step === s.step && e.detail?.status === s.status),
      `${label}: ${s.step}`,
    ).toBe(true);
  }
}

function inject(w: World, op: SimOperation, stall: string | undefined, fault: Fault): Promise<SimOperation> | null {
  const { cloud } = w;
  switch (fault) {
    case "throttling-once":
      cloud.failNext(op, "throttling", 1);
      return null;
    case "throttling":
      cloud.failNext(op, "throttling", 8);
      return null;
    case "capacity":
      if (op === "runInstances") {
        for (const t of w.req.targets) cloud.noCapacity.add(`${t.region}/${t.az}/${t.instanceType}`);
      } else cloud.failNext(op, "capacity", 1);
      return null;
    case "deadline":
      if (stall) cloud.stalls[stall as keyof typeof cloud.stalls] = true;
      else cloud.failNext(op, "timeout", 8);
      return null;
    case "crash":
      return cloud.crashAfter(op);
    case "5xx":
      cloud.failNext(op, "server", 1);
      cloud.failNext(op, "unavailable", 1);
      return null;
    case "lost":
      cloud.failNext(op, "lost", 1);
      return null;
    case "reclaimed":
      // killed around the call (before TerminateInstances: after it, both would be gone), then AWS reclaims the
      // replacement while spotwise is down
      return op === "terminateInstances" ? cloud.crashBefore(op) : cloud.crashAfter(op);
  }
}

/** Exactly one running instance (old or replacement) with the EIP and the target group, and no orphans. */
function assertOneRunningWithIdentity(w: World, label: string) {
  const { cloud, old, seeded } = w;
  const mine = [...cloud.instances.values()].filter(
    (i) => i.instanceId === old.instanceId || !seeded.has(i.instanceId),
  );
  const running = mine.filter((i) => cloud.stateOf(i) === "running" || cloud.stateOf(i) === "pending");
  expect(
    running.map((i) => i.instanceId),
    `${label}: exactly one running instance`,
  ).toHaveLength(1);
  const one = running[0]!;
  expect(cloud.stateOf(one), `${label}: it runs`).toBe("running");
  const eip = [...cloud.addresses.values()][0]!;
  expect(eip.instanceId, `${label}: the EIP is on it`).toBe(one.instanceId);
  expect([...[...cloud.targetGroups.values()][0]!], `${label}: the target group has it alone`).toEqual([
    one.instanceId,
  ]);
  const detached = [...cloud.volumes.values()].filter((v) => !v.deleted && !v.attachment);
  expect(detached, `${label}: no orphaned volume`).toEqual([]);
}

async function runCase(
  step: StepName,
  op: SimOperation,
  stall: string | undefined,
  fault: Fault,
  makeStores: (clock: ManualClock) => Stores,
) {
  const w = world(makeStores);
  const make = () => simRunner({ cloud: w.cloud, ...w.stores, settings: { healthCheckUrl: "http://x/health" } });
  const h = make();
  const crashed = inject(w, op, stall, fault);
  const started = h.runner.start(w.req);
  let outcome: SagaOutcome | "crash";
  if (crashed) outcome = await Promise.race([crashed.then(() => "crash" as const), started]);
  else outcome = await started;

  if (outcome === "crash" && fault === "reclaimed") {
    for (const i of w.cloud.instances.values()) if (!w.seeded.has(i.instanceId)) w.cloud.reclaim(i.instanceId);
  }
  let final: SagaOutcome | undefined = outcome === "crash" ? undefined : outcome;
  // restart the process (a new runner over the same stores) until nothing is in flight
  for (let restart = 0; restart < 3 && (outcome === "crash" || (await w.stores.store.listActive()).length); restart++) {
    const h2 = make();
    await assertInvariants(w, h2, `${step}×${fault} before restart ${restart}`);
    const resumed = await h2.runner.resumeAll();
    if (resumed.length) final = resumed.at(-1);
    outcome = resumed.at(-1) ?? outcome;
  }
  expect(await w.stores.store.listActive(), "nothing left in flight").toEqual([]);
  const imageCallsBeforeRetry = w.cloud.callsOf("createImage").length;
  // the caller retries (Slack redelivery, a second click): never a second switch
  const retry = await make().runner.start(w.req);
  if (final?.sagaId || outcome === "crash") {
    if (final === undefined) final = retry;
    else expect(retry.state).toBe("duplicate");
  }
  await assertInvariants(w, h, `${step}×${fault}`);

  assertOneRunningWithIdentity(w, `${step}×${fault}`);
  if (step === "preflight" && !["throttling-once", "crash", "5xx", "lost", "reclaimed"].includes(fault)) {
    expect(final?.state).toBe("refused");
    expect(imageCallsBeforeRetry).toBe(0);
    return;
  }
  const sagaId = final?.sagaId ?? (await w.stores.store.findByRecommendation(w.req.approval!.recommendationId!))!.id;
  const saga = (await w.stores.store.get(sagaId))!;
  expect(["done", "rolled_back"]).toContain(saga.state);
  await assertAuditComplete(w, sagaId, `${step}×${fault}`);
  if (["throttling-once", "crash", "5xx", "lost"].includes(fault)) {
    // a transient fault, a lost answer or a restart never changes the result
    expect(saga.state, saga.error).toBe("done");
  }
  if (saga.state === "rolled_back") {
    expect(saga.error, "rollback records why").toBeTruthy();
    expect(w.cloud.stateOf(w.cloud.instances.get(w.old.instanceId)!)).toBe("running");
  }
  // exactly one launch token per target index was ever used: a retry never launched twice
  const launched = [...w.cloud.instances.values()].filter((i) => i.tags["spotwise:saga-id"] === sagaId);
  expect(launched.length).toBeLessThanOrEqual(1);
}

describe("switch saga fault matrix", () => {
  for (const { step, op, stall } of STEPS) {
    for (const fault of FAULTS) {
      it(`${step} × ${fault}`, () => runCase(step, op, stall, fault, memoryStores));
    }
  }
});

describe(`crash then resume with the database (${backendLabel()})`, () => {
  let db: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db.dispose();
  });
  const dbStores = (): Stores => ({
    store: new DbSagaStore(db),
    controlStore: new DbControlStore(db),
    audit: new DbAuditLog(db),
  });
  for (const { step, op, stall } of STEPS) {
    it(`${step} × crash`, () => runCase(step, op, stall, "crash", dbStores));
  }
});

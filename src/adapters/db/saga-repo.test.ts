import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simRunner } from "../../../test/sim/harness.js";
import { backendLabel, redisUrl, testDatabase } from "../../../test/support/services.js";
import { ManualClock } from "../../core/ports/clock.js";
import type { LeaseStore } from "../../core/ports/kv.js";
import { leaseKey } from "../../core/switch/run.js";
import type { NewSaga, SwitchRequest } from "../../core/switch/types.js";
import { MemoryLeaseStore } from "../kv/memory.js";
import { RedisLeaseStore } from "../kv/redis.js";
import { SimCloud } from "../sim/cloud.js";
import { seedSimFleet } from "../sim/seed.js";
import { DbAuditLog } from "./audit-repo.js";
import { DbControlStore } from "./control-repo.js";
import type { Database } from "./orm.js";
import { DbSagaStore } from "./saga-repo.js";

let db: Database & { dispose(): Promise<void> };
const url = redisUrl();
const redis = url ? new Redis(url, { maxRetriesPerRequest: 1 }) : undefined;
const prefix = `spotwise-test:${randomUUID()}:lease:`;
const leaseStore = (clock: ManualClock): LeaseStore =>
  redis ? new RedisLeaseStore(redis, prefix) : new MemoryLeaseStore(() => clock.now());

beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db.dispose();
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
});

function newSaga(over: Partial<NewSaga> = {}): NewSaga {
  return {
    id: randomUUID(),
    instanceId: `i-${randomUUID().slice(0, 8)}`,
    accountId: "123456789012",
    region: "us-east-1",
    state: "imaging",
    active: true,
    fromPool: "us-east-1/us-east-1a/m5.large",
    targets: [{ region: "us-east-1", az: "us-east-1a", instanceType: "m5a.large" }],
    targetIndex: 0,
    context: {
      source: { instanceType: "m5.large", az: "us-east-1a", lifecycle: "on-demand", securityGroupIds: [], tags: {} },
      addresses: [],
      targetGroups: [],
      noReboot: false,
      phaseStartedAt: {},
      launchAttempts: [],
      moved: { eips: [], targetGroups: [] },
    },
    requestedBy: "cli:test",
    startedAt: Date.UTC(2026, 10, 28),
    ...over,
  };
}

describe(`DbSagaStore (${backendLabel()})`, () => {
  it("enforces one active saga per instance and one saga per recommendation", async () => {
    const store = new DbSagaStore(db);
    const a = await store.create(newSaga());
    expect(a.version).toBe(1);
    await expect(store.create(newSaga({ instanceId: a.instanceId }))).rejects.toMatchObject({ code: "conflict" });
    const rec = randomUUID();
    await store.create(newSaga({ recommendationId: rec }));
    await expect(store.create(newSaga({ recommendationId: rec }))).rejects.toMatchObject({ code: "conflict" });
    expect((await store.findByRecommendation(rec))?.recommendationId).toBe(rec);
    // once finished, the instance may be switched again
    await store.update(a.id, 1, { state: "done", active: false, finishedAt: Date.UTC(2026, 10, 28, 1) });
    await expect(store.create(newSaga({ instanceId: a.instanceId }))).resolves.toMatchObject({ active: true });
  });

  it("counts the sagas in flight as listActive lists them", async () => {
    const store = new DbSagaStore(db);
    const before = (await store.listActive()).length;
    expect(await store.countActive()).toBe(before);
    const a = await store.create(newSaga());
    await store.create(newSaga());
    expect(await store.countActive()).toBe(before + 2);
    await store.update(a.id, 1, { state: "done", active: false, finishedAt: Date.UTC(2026, 10, 28, 1) });
    expect(await store.countActive()).toBe(before + 1);
    expect(await store.countActive()).toBe((await store.listActive()).length);
  });

  it("updates with optimistic versions and keeps the context", async () => {
    const store = new DbSagaStore(db);
    const s = await store.create(newSaga());
    const next = await store.update(s.id, 1, { imageId: "ami-1", context: { ...s.context, verifiedAt: 5 } });
    expect(next).toMatchObject({ version: 2, imageId: "ami-1" });
    expect(next.context.verifiedAt).toBe(5);
    await expect(store.update(s.id, 1, { state: "launching" })).rejects.toMatchObject({ code: "conflict" });
    expect((await store.listActive()).map((x) => x.id)).toContain(s.id);
  });

  it("an update whose values contain ';' (a rollback reason) succeeds; a stale one still conflicts", async () => {
    const store = new DbSagaStore(db);
    const s = await store.create(newSaga());
    const reason = "replacement i-1 is terminated (spot capacity reclaimed?); not terminating the old instance";
    const next = await store.update(s.id, 1, {
      state: "rolling_back",
      error: reason,
      context: { ...s.context, rollbackReason: reason },
    });
    expect(next).toMatchObject({ version: 2, state: "rolling_back", error: reason });
    await expect(store.update(s.id, 1, { error: "a; b" })).rejects.toMatchObject({ code: "conflict" });
    expect((await store.get(s.id))!.error).toBe(reason);
  });

  it("finishing a step merges its detail (new keys win), values with ';' included; an unknown step is not_found", async () => {
    const store = new DbSagaStore(db);
    const s = await store.create(newSaga());
    const id = await store.addStep({
      executionId: s.id,
      step: "run_instances",
      status: "started",
      startedAt: 1000,
      detail: { target: "us-east-1/us-east-1b/m5a.large", attempt: 1 },
    });
    await store.finishStep(id, "failed", 2000, undefined, { attempt: 2, error: "InsufficientInstanceCapacity; retry" });
    const [step] = await store.steps(s.id);
    expect(step).toMatchObject({ status: "failed", finishedAt: 2000, awsRequestId: undefined });
    expect(step.detail).toEqual({
      target: "us-east-1/us-east-1b/m5a.large",
      attempt: 2,
      error: "InsufficientInstanceCapacity; retry",
    });
    await expect(store.finishStep(9_999_999, "ok", 3000)).rejects.toMatchObject({ code: "not_found" });
    await expect(store.finishStep(9_999_999, "ok", 3000, undefined, { note: "a;b" })).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("records steps with timestamps and request ids, and lists images due for cleanup", async () => {
    const store = new DbSagaStore(db);
    const s = await store.create(newSaga());
    const id = await store.addStep({
      executionId: s.id,
      step: "create_image",
      status: "started",
      startedAt: 1000,
      detail: {},
    });
    await store.finishStep(id, "ok", 2000, "req-abc", { imageId: "ami-9" });
    expect(await store.steps(s.id)).toEqual([
      {
        id,
        executionId: s.id,
        step: "create_image",
        status: "ok",
        startedAt: 1000,
        finishedAt: 2000,
        awsRequestId: "req-abc",
        detail: { imageId: "ami-9" },
      },
    ]);
    await store.update(s.id, 1, { imageId: "ami-9", state: "done", active: false, finishedAt: 10_000 });
    expect((await store.listForImageCleanup(20_000)).map((x) => x.id)).toContain(s.id);
    expect((await store.listForImageCleanup(5_000)).map((x) => x.id)).not.toContain(s.id);
  });
});

describe(`duplicate execution of one approved switch (${backendLabel()}, lease ${redis ? "redis" : "memory"})`, () => {
  function world() {
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    const cloud = new SimCloud({ clock });
    const [old] = seedSimFleet(cloud);
    const leases = leaseStore(clock);
    const shared = {
      store: new DbSagaStore(db),
      controlStore: new DbControlStore(db),
      audit: new DbAuditLog(db),
      leases,
    };
    // two processes: separate runners over the same database, lease store and cloud
    const a = simRunner({ cloud, ...shared });
    const b = simRunner({ cloud, ...shared });
    const req: SwitchRequest = {
      instanceId: old!.instanceId,
      accountId: "sim",
      region: "us-east-1",
      targets: [{ region: "us-east-1", az: "us-east-1a", instanceType: "m5a.xlarge" }],
      requestedBy: "slack:U1",
      approval: {
        recommendationId: randomUUID(),
        approvedBy: "slack:U1",
        approvedAt: clock.now(),
        expiresAt: clock.now() + 3600_000,
      },
    };
    return { clock, cloud, a, b, req, shared };
  }

  it("two concurrent callers and a retry launch exactly one replacement", async () => {
    const { cloud, a, b, req, shared } = world();
    const [x, y] = await Promise.all([a.runner.start(req), b.runner.start(req)]);
    expect([x.state, y.state].sort()).toEqual(["done", "duplicate"]);
    const retry = await b.runner.start(req);
    expect(retry).toMatchObject({ state: "duplicate", sagaId: x.sagaId ?? y.sagaId });
    expect(cloud.callsOf("runInstances")).toHaveLength(1);
    expect(cloud.callsOf("createImage")).toHaveLength(1);
    const saga = (await shared.store.findByRecommendation(req.approval!.recommendationId!))!;
    expect(saga).toMatchObject({ state: "done", active: false });
    const steps = await shared.store.steps(saga.id);
    expect(steps.filter((s) => s.step === "run_instances")).toHaveLength(1);
    const audit = await shared.audit.list({ subject: req.instanceId });
    expect(audit.filter((e) => e.action === "switch.started")).toHaveLength(1);
    expect(audit.at(-1)?.action).toBe("switch.done");
  });

  it("two operators switching the same instance without a recommendation: one runs, one is refused", async () => {
    const { cloud, a, b, req } = world();
    const cli = { ...req, approval: { ...req.approval!, recommendationId: undefined } };
    const outs = await Promise.all([a.runner.start(cli), b.runner.start(cli)]);
    expect(outs.filter((o) => o.state === "done")).toHaveLength(1);
    expect(outs.filter((o) => o.state !== "done")[0]!.state).toMatch(/duplicate|refused/);
    expect(cloud.callsOf("runInstances")).toHaveLength(1);
  });

  it("a crash after RunInstances resumes from the database and adopts the launched instance", async () => {
    const { cloud, a, req, shared } = world();
    const crashed = cloud.crashAfter("runInstances");
    void a.runner.start(req);
    await crashed;
    const restarted = simRunner({ cloud, ...shared });
    const active = (await shared.store.findActiveByInstance(req.instanceId))!;
    expect(active.state).toBe("launching");
    // the dead process still holds the instance's lease: nobody else may drive the saga until it expires
    const key = leaseKey(active.accountId, active.instanceId);
    expect(await restarted.runner.resume(active.id)).toMatchObject({ state: "in_flight", code: "lease_held" });
    await shared.leases.release(key, (await shared.leases.holder(key))!); // the lease expires
    const out = await restarted.runner.resume(active.id);
    expect(out).toMatchObject({ state: "done" });
    expect(cloud.callsOf("runInstances")).toHaveLength(1);
    const steps = await shared.store.steps(out!.sagaId!);
    expect(steps.find((s) => s.step === "run_instances" && s.status === "failed")?.detail.error).toMatch(/interrupted/);
    expect(steps.find((s) => s.step === "run_instances" && s.status === "ok")?.detail.adopted).toBe(true);
  });
});

import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisUrl } from "../../test/support/services.js";
import { Metrics } from "../adapters/http/metrics.js";
import { LeaseRunCoordinator } from "../adapters/kv/coordinator.js";
import { MemoryLeaseStore } from "../adapters/kv/memory.js";
import { RedisLeaseStore } from "../adapters/kv/redis.js";
import { createLogger } from "../adapters/log/logger.js";
import { HealthService, MemoryHealthStore } from "../core/health/health.js";
import { systemClock } from "../core/ports/clock.js";
import type { LeaseStore } from "../core/ports/kv.js";
import { type Job, MemoryTickLog } from "./job.js";
import { JobRunner } from "./runner.js";
import { Scheduler } from "./scheduler.js";

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const silent = () => createLogger({ level: "silent", destination: sink() });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  replica: string;
  at: number;
  start: number;
  end: number;
}

function replica(
  id: string,
  leases: LeaseStore,
  opts: {
    runs: Run[];
    tickMs?: number;
    runLeaseMs?: number;
    metrics?: Metrics;
    health?: HealthService;
    log?: ReturnType<typeof createLogger>;
  },
) {
  const job: Job = {
    name: "decide",
    async tick(now, signal) {
      const start = Date.now();
      // a slow job (a slow EC2 call): checks for cancellation every 50 ms
      for (let t = 0; t < (opts.tickMs ?? 0); t += 50) {
        signal?.throwIfAborted();
        await sleep(50);
      }
      opts.runs.push({ replica: id, at: now, start, end: Date.now() });
      return {};
    },
  };
  const metrics = opts.metrics ?? new Metrics();
  const health = opts.health ?? new HealthService(new MemoryHealthStore(), systemClock);
  const tickLog = new MemoryTickLog();
  const runner = new JobRunner({ clock: systemClock, log: silent(), tickLog, metrics, health });
  const scheduler = new Scheduler({
    jobs: [job],
    runner,
    log: opts.log ?? silent(),
    spec: {
      timezone: "UTC",
      expressions: { decide: "* * * * * *", scrape: "", label: "", digest: "", cleanup: "", reconcile: "" },
    },
    leases,
    owner: id,
    coordinator: new LeaseRunCoordinator(leases, id),
    fireLeaseMs: 30_000,
    runLeaseMs: opts.runLeaseMs ?? 30_000,
    metrics: { skipped: metrics.skippedFires },
    health,
  });
  return { scheduler, tickLog, metrics };
}

async function runTwoReplicas(
  leasesA: LeaseStore,
  leasesB: LeaseStore,
  ms: number,
  tickMs = 0,
  runLeaseMs?: number,
  log?: ReturnType<typeof createLogger>,
) {
  const runs: Run[] = [];
  const a = replica("a", leasesA, { runs, tickMs, runLeaseMs, log });
  // both replicas log to the same sink: node-cron warns of an overlap on whichever replica holds the run
  const b = replica("b", leasesB, { runs, tickMs, runLeaseMs, log });
  a.scheduler.start();
  b.scheduler.start();
  await sleep(ms);
  await Promise.all([a.scheduler.stop(), b.scheduler.stop()]);
  return { runs, a, b };
}

function expectEachFireOnce(runs: Run[]) {
  expect(runs.length).toBeGreaterThanOrEqual(2);
  const perSecond = new Map<number, number>();
  for (const f of runs) perSecond.set(f.at, (perSecond.get(f.at) ?? 0) + 1);
  expect([...perSecond.values()].every((n) => n === 1)).toBe(true);
}

/** No two runs (on any replica) were ever in progress at the same time. */
function expectNoOverlap(runs: Run[]) {
  const sorted = [...runs].sort((x, y) => x.start - y.start);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i].start).toBeGreaterThanOrEqual(sorted[i - 1].end);
}

async function skippedCount(metrics: Metrics, reason: string): Promise<number> {
  const m = await metrics.skippedFires.get();
  return m.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

describe("two daemon replicas", () => {
  it("run each cron fire once when they share one lease store", async () => {
    const shared = new MemoryLeaseStore();
    expectEachFireOnce((await runTwoReplicas(shared, shared, 3_300)).runs);
  });

  it("never overlap a slow job: the run lease is held, and renewed, for the whole run", async () => {
    const shared = new MemoryLeaseStore();
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({
      level: "info",
      destination: new Writable({
        write: (c, _e, cb) => {
          for (const l of String(c).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
          cb();
        },
      }),
    });
    // each run lasts ~2.2 s, fires come every second, and the run lease (600 ms) must be renewed to last
    const { runs, a, b } = await runTwoReplicas(shared, shared, 6_300, 2_200, 600, log);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expectNoOverlap(runs);
    const skipped =
      (await skippedCount(a.metrics, "running-elsewhere")) + (await skippedCount(b.metrics, "running-elsewhere"));
    expect(skipped).toBeGreaterThan(0);
    // node-cron's own overlap warning arrives as a JSON line of the process logger
    expect(lines).toContainEqual(
      expect.objectContaining({ level: "warn", component: "node-cron", msg: expect.stringMatching(/overlap/) }),
    );
  });

  const url = redisUrl();
  describe.runIf(url)("against one real Redis", () => {
    const connections: Redis[] = [];
    const prefix = `spotwise-test:${randomUUID()}:`;
    afterAll(async () => {
      const keys = await connections[0]?.keys(`${prefix}*`);
      if (keys?.length) await connections[0].del(...keys);
      for (const c of connections) c.disconnect();
    });
    it("run each cron fire once", async () => {
      const p = `${prefix}${randomUUID()}:`;
      const [ra, rb] = [new Redis(url ?? ""), new Redis(url ?? "")];
      connections.push(ra, rb);
      expectEachFireOnce((await runTwoReplicas(new RedisLeaseStore(ra, p), new RedisLeaseStore(rb, p), 3_300)).runs);
    });
    it("never overlap a slow job", async () => {
      const p = `${prefix}${randomUUID()}:`;
      const [ra, rb] = [new Redis(url ?? ""), new Redis(url ?? "")];
      connections.push(ra, rb);
      const { runs } = await runTwoReplicas(new RedisLeaseStore(ra, p), new RedisLeaseStore(rb, p), 6_300, 2_200, 600);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(new Set(runs.map((r) => r.replica)).size).toBeGreaterThanOrEqual(1);
      expectNoOverlap(runs);
    });
  });
});

describe("scheduler", () => {
  it("turns the scheduler health down and counts skipped fires while coordination fails", async () => {
    const health = new HealthService(new MemoryHealthStore(), systemClock);
    const metrics = new Metrics();
    let down = true;
    const store = new MemoryLeaseStore();
    const flaky: LeaseStore = {
      acquire: async (k, o, t) => {
        if (down) throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
        return store.acquire(k, o, t);
      },
      renew: (k, o, t) => store.renew(k, o, t),
      release: (k, o) => store.release(k, o),
      holder: (k) => store.holder(k),
    };
    const runs: Run[] = [];
    const r = replica("a", flaky, { runs, metrics, health });
    r.scheduler.start();
    await sleep(2_300);
    const report = await health.report();
    expect(report.find((h) => h.component === "scheduler")).toMatchObject({
      status: "down",
      detail: expect.stringMatching(/run coordination failed \(connect ECONNREFUSED/),
    });
    expect(await skippedCount(metrics, "coordinator-error")).toBeGreaterThanOrEqual(1);
    expect(runs).toHaveLength(0);
    down = false;
    await sleep(2_000);
    await r.scheduler.stop();
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect((await health.report()).find((h) => h.component === "scheduler")?.status).toBe("ok");
  });

  it("records a tick's start, and on stop cancels it at its next safe point", async () => {
    const runs: Run[] = [];
    const r = replica("a", new MemoryLeaseStore(), { runs, tickMs: 60_000 });
    r.scheduler.start();
    for (let i = 0; i < 40 && r.scheduler.running().length === 0; i++) await sleep(100);
    expect(r.scheduler.running()).toEqual(["decide"]);
    // the start is on record while the tick runs: a process killed now leaves this trace
    expect(r.tickLog.records).toEqual([
      expect.objectContaining({ job: "decide", status: "running", finishedAt: null }),
    ]);
    expect(await r.scheduler.stop(5_000, "SIGTERM")).toBe(true);
    expect(r.scheduler.running()).toEqual([]);
    expect(r.tickLog.records).toEqual([
      expect.objectContaining({ job: "decide", status: "cancelled", error: "cancelled: SIGTERM" }),
    ]);
    expect(runs).toHaveLength(0);
  });

  it("refuses to start with an invalid expression, naming every one", () => {
    const s = new Scheduler({
      jobs: [
        { name: "scrape", tick: async () => ({}) },
        { name: "decide", tick: async () => ({}) },
      ],
      runner: new JobRunner({
        clock: systemClock,
        log: silent(),
        tickLog: new MemoryTickLog(),
        metrics: new Metrics(),
        health: new HealthService(new MemoryHealthStore(), systemClock),
      }),
      log: silent(),
      spec: {
        timezone: "UTC",
        expressions: {
          scrape: "every 5 minutes",
          decide: "61 * * * *",
          label: "",
          digest: "",
          cleanup: "",
          reconcile: "",
        },
      },
      leases: new MemoryLeaseStore(),
      owner: "a",
    });
    expect(() => s.start()).toThrowError(
      'invalid cron expressions: schedule.scrape "every 5 minutes", schedule.decide "61 * * * *"',
    );
  });
});

describe("job runner", () => {
  it("records a failed tick with its reason and keeps going", async () => {
    const tickLog = new MemoryTickLog();
    const metrics = new Metrics();
    const runner = new JobRunner({
      clock: systemClock,
      log: silent(),
      tickLog,
      metrics,
      health: new HealthService(new MemoryHealthStore(), systemClock),
    });
    const failing: Job = {
      name: "scrape",
      tick: async () => {
        throw new Error("redis: connect ECONNREFUSED");
      },
    };
    const ok: Job = { name: "scrape", tick: async () => ({ pages: 3 }) };
    expect((await runner.run(failing, 1)).status).toBe("failed");
    expect((await runner.run(ok, 2)).stats).toEqual({ pages: 3 });
    expect(tickLog.records.map((r) => [r.status, r.error])).toEqual([
      ["failed", "redis: connect ECONNREFUSED"],
      ["ok", null],
    ]);
    const text = await metrics.text();
    expect(text).toMatch(/spotwise_job_last_success_timestamp_seconds\{job="scrape"\} \d+/);
    expect(text).toContain('spotwise_ticks_total{job="scrape",outcome="failed"} 1');
  });
});

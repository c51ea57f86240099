import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisUrl } from "../../test/support/services.js";
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

const silent = () => createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const metrics = { ticks: { inc: () => {} }, tickDuration: { observe: () => {} } };

function replica(id: string, leases: LeaseStore, fires: Array<{ replica: string; at: number }>) {
  const job: Job = {
    name: "decide",
    async tick(now) {
      fires.push({ replica: id, at: now });
      return {};
    },
  };
  const runner = new JobRunner({
    clock: systemClock,
    log: silent(),
    tickLog: new MemoryTickLog(),
    metrics,
    health: new HealthService(new MemoryHealthStore(), systemClock),
  });
  return new Scheduler({
    jobs: [job],
    runner,
    log: silent(),
    spec: {
      timezone: "UTC",
      expressions: { decide: "* * * * * *", scrape: "", label: "", digest: "", cleanup: "", reconcile: "" },
    },
    coordinator: new LeaseRunCoordinator(leases, id),
    leaseMs: 30_000,
  });
}

async function runTwoReplicas(leasesA: LeaseStore, leasesB: LeaseStore) {
  const fires: Array<{ replica: string; at: number }> = [];
  const a = replica("a", leasesA, fires);
  const b = replica("b", leasesB, fires);
  a.start();
  b.start();
  await new Promise((r) => setTimeout(r, 3_300));
  await Promise.all([a.stop(), b.stop()]);
  return fires;
}

function expectEachFireOnce(fires: Array<{ replica: string; at: number }>) {
  expect(fires.length).toBeGreaterThanOrEqual(2);
  const perSecond = new Map<number, number>();
  for (const f of fires) perSecond.set(f.at, (perSecond.get(f.at) ?? 0) + 1);
  expect([...perSecond.values()].every((n) => n === 1)).toBe(true);
}

describe("two daemon replicas", () => {
  it("run each cron fire once when they share one lease store", async () => {
    const shared = new MemoryLeaseStore();
    expectEachFireOnce(await runTwoReplicas(shared, shared));
  });

  const url = redisUrl();
  describe.runIf(url)("against one real Redis", () => {
    const connections: Redis[] = [];
    afterAll(() => {
      for (const c of connections) c.disconnect();
    });
    it("run each cron fire once", async () => {
      const prefix = `spotwise-test:${randomUUID()}:`;
      const [ra, rb] = [new Redis(url ?? ""), new Redis(url ?? "")];
      connections.push(ra, rb);
      const fires = await runTwoReplicas(new RedisLeaseStore(ra, prefix), new RedisLeaseStore(rb, prefix));
      expectEachFireOnce(fires);
      const keys = await ra.keys(`${prefix}*`);
      if (keys.length) await ra.del(...keys);
    });
  });
});

describe("job runner", () => {
  it("records a failed tick with its reason and keeps going", async () => {
    const tickLog = new MemoryTickLog();
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
  });
});

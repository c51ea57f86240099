/**
 * Child process of the decide bench: the daemon alone (no fixture in its heap) at the bench's fleet, over a
 * simulated day of decide ticks (BENCH_DAY_TICKS, default 96, BENCH_TICK_MINUTES apart, default 15: the daemon's schedule) with the
 * cleanup job every simulated hour, on the world the parent built (BENCH_PREFIX in Redis, BENCH_DB_URL).
 * Prints one JSON line: steady-state RSS, peak RSS, per-tick times.
 *
 * Steady state is the daemon between two ticks: at the default schedule it decides every 15 minutes for a second
 * or two and is idle the rest of the time, when V8's memory reducer gives back the heap a tick grew (it starts
 * ~8 s after allocation stops). So after the last tick and a full GC the child idles BENCH_IDLE_S seconds
 * (default 90; it took 40-45 s at 10,000 instances) and reports the RSS it settled at; the RSS right after the GC is reported too.
 */
import { Writable } from "node:stream";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import { Redis } from "ioredis";
import { openDatabase } from "../src/adapters/db/orm.js";
import { createLogger } from "../src/adapters/log/logger.js";
import { RedisMarketStore } from "../src/adapters/market/redis.js";
import { SimCloud } from "../src/adapters/sim/cloud.js";
import { ConsoleNotifier } from "../src/adapters/slack/console-notifier.js";
import { simCloudPorts } from "../src/app/cloud.js";
import { buildContainer } from "../src/app/container.js";
import { openInfra } from "../src/app/infra.js";
import { ManualClock } from "../src/core/ports/clock.js";
import { parsePoolId } from "../src/core/types.js";
import { benchConfig, seedFleet } from "./decide-fixture.js";

const HOUR = 3_600_000;
const env = process.env;
const prefix = env.BENCH_PREFIX ?? "";
const dbUrl = env.BENCH_DB_URL ?? "";
const end = Number(env.BENCH_END);
const instances = Number(env.BENCH_INSTANCES ?? 10_000);
const ticks = Number(env.BENCH_DAY_TICKS ?? 96);
const step = Number(env.BENCH_TICK_MINUTES ?? 15) * 60_000;
if (!prefix || !dbUrl || !Number.isFinite(end)) throw new Error("daemon-day.ts is started by decide.bench.ts");

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (b: number) => b / 1024 / 1024;
const redis = new Redis(env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
const market = new RedisMarketStore(redis, { prefix, retentionMs: 0 });
const pools = (await market.listPools()).map(parsePoolId);
const start = end - ticks * step;
const clock = new ManualClock(start);
const cloud = new SimCloud({ clock });
seedFleet(cloud, pools, instances, start);
const db = await openDatabase({ url: dbUrl });
const quiet = createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const config = benchConfig([...new Set(pools.map((p) => p.region))], [...new Set(pools.map((p) => p.az))]);
const infra = await openInfra(config, { clock, log: quiet, db });
const c = await buildContainer(infra, {
  cloud: simCloudPorts(cloud),
  market,
  notifier: new ConsoleNotifier({ write: () => {} }),
});
gc();
const idleMb = mb(process.memoryUsage().rss);
const spacesOf = () =>
  Object.fromEntries(
    getHeapSpaceStatistics().map((x) => [
      x.space_name,
      [Math.round(mb(x.space_size)), Math.round(mb(x.space_used_size))],
    ]),
  );
const tickMs: number[] = [];
const rssMb: number[] = [];
const heapTotalMb: number[] = [];
try {
  for (let k = 1; k <= ticks; k++) {
    const t = start + k * step;
    clock.set(t);
    const t0 = performance.now();
    await c.jobs.decide.tick(t);
    tickMs.push(performance.now() - t0);
    if (t % HOUR === 0) await c.jobs.cleanup.tick(t);
    const m = process.memoryUsage();
    rssMb.push(mb(m.rss));
    heapTotalMb.push(mb(m.heapTotal));
  }
  gc();
  const afterGcMb = mb(process.memoryUsage().rss);
  const idleS = Number(env.BENCH_IDLE_S ?? 90);
  const idleRss: number[] = [];
  for (let s = 0; s < idleS; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    idleRss.push(Math.round(mb(process.memoryUsage().rss)));
  }
  // BENCH_HEAPSNAPSHOT=<file>: what the daemon still holds after the day, for a heap profiler
  if (env.BENCH_HEAPSNAPSHOT) writeHeapSnapshot(env.BENCH_HEAPSNAPSHOT);
  const mem = process.memoryUsage();
  const steadyMb = mb(mem.rss);
  console.log(
    JSON.stringify({
      steadyMb,
      afterGcMb,
      idleRss,
      spaces: spacesOf(),
      idleMb,
      peakMb: process.resourceUsage().maxRSS / 1024,
      heapMb: mb(mem.heapUsed),
      heapTotalMb: mb(mem.heapTotal),
      externalMb: mb(mem.external),
      ticks,
      stepMinutes: step / 60_000,
      tickMs,
      rssMb,
      heapTotalByTickMb: heapTotalMb,
    }),
  );
} finally {
  await c.close();
  await infra.close();
  await db.close().catch(() => {});
  redis.disconnect();
}

/**
 * The world of the decide bench: 5,000 spot pools of real price history (the us-east-1 2021 file of
 * ../shared/data, 1,246 pools, replayed under four more real region names to reach 5,000 so that the on-demand
 * and advisor tables price them), 10,000 managed spot instances spread over those pools on a SimCloud (two per
 * pool, every other one tagged spotwise:az-flexible), a fresh
 * PostgreSQL database and a Redis key prefix, both removed by dispose().
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { type Database, openDatabase } from "../src/adapters/db/orm.js";
import { RedisMarketStore } from "../src/adapters/market/redis.js";
import { SimCloud } from "../src/adapters/sim/cloud.js";
import { loadConfig } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";
import { FEATURE_HISTORY_MS } from "../src/core/features/engine.js";
import { parsePriceFile } from "../src/core/market/import.js";
import { ManualClock } from "../src/core/ports/clock.js";
import type { PoolKey, PriceRecord } from "../src/core/types.js";
import { poolId } from "../src/core/types.js";
import { sharedDataFile } from "./data.js";

export const PRICE_FILE_NAME = "prices-us-east-1-2021-03-02_2021-04-30.csv";
/** Real regions the us-east-1 series are replayed under (copy n goes to REGIONS[n]). */
const REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1"];
const DAY = 86_400_000;

export interface DecideWorld {
  now: number;
  /** Redis key prefix of the market and the fresh database's URL, for a child process (daemon-day.ts). */
  prefix: string;
  dbUrl: string;
  clock: ManualClock;
  cloud: SimCloud;
  market: RedisMarketStore;
  redis: Redis;
  redisUrl: string;
  db: Database;
  databaseUrl: string;
  pools: PoolKey[];
  regions: string[];
  azs: string[];
  realSeries: number;
  points: number;
  dispose(): Promise<void>;
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//");
}

async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (e) {
    redis.disconnect();
    throw new Error(
      `Redis is unreachable at ${redact(url)} (${e instanceof Error ? e.message : String(e)}): start Redis or set REDIS_URL`,
    );
  }
}

async function adminExecute(url: string, sql: string): Promise<void> {
  const admin = await openDatabase({ url });
  try {
    await admin.orm.em.getConnection().execute(sql);
  } finally {
    await admin.close();
  }
}

/** A fresh, migrated PostgreSQL database next to the one at `base`; drop() removes it. */
async function freshDatabase(base: string): Promise<{ db: Database; url: string; drop(): Promise<void> }> {
  const name = `spotwise_bench_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  try {
    await adminExecute(base, `create database "${name}"`);
  } catch (e) {
    throw new Error(
      `PostgreSQL is unreachable at ${redact(base)} (${e instanceof Error ? e.message : String(e)}): ` +
        "start PostgreSQL or set DATABASE_URL to a postgres:// URL whose user may create databases",
    );
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  await db.migrate();
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      await adminExecute(base, `drop database if exists "${name}" with (force)`);
    },
  };
}

/** The real series of the last 30 days (+3 for the price in effect at the cutoff), one list per pool. */
function realSeries(): { series: PriceRecord[][]; now: number } {
  const file = sharedDataFile(PRICE_FILE_NAME);
  const records = parsePriceFile(readFileSync(file, "utf8"), file).records;
  const newest = records.reduce((m, r) => Math.max(m, r.ts), 0);
  const now = Math.ceil(newest / 3_600_000) * 3_600_000;
  const since = now - FEATURE_HISTORY_MS - 3 * DAY;
  const byPool = new Map<string, PriceRecord[]>();
  for (const r of records) {
    if (r.ts < since) continue;
    const id = poolId(r);
    const list = byPool.get(id) ?? [];
    list.push(r);
    byPool.set(id, list);
  }
  return { series: [...byPool.values()], now };
}

/** `instances` managed spot instances over `pools` (round robin), every other one az-flexible. */
export function seedFleet(cloud: SimCloud, pools: readonly PoolKey[], instances: number, now: number): void {
  for (let n = 0; n < instances; n++) {
    const p = pools[n % pools.length];
    cloud.seedInstance({
      instanceId: `i-bench${String(n).padStart(6, "0")}`,
      accountId: "sim",
      region: p.region,
      az: p.az,
      instanceType: p.instanceType,
      lifecycle: "spot",
      launchedAt: now - 10 * DAY,
      // half the fleet may move across AZs (about 150 candidate pools each), the other half stays in its AZ (~25)
      tags: { "spotwise:managed": "true", "spotwise:az-flexible": n % 2 === 0 ? "true" : "false" },
    });
  }
}

/** The daemon's configuration in the benches: shadow mode, one simulated account over the world's regions. */
export function benchConfig(regions: string[], azs: string[]): Config {
  const base = loadConfig({});
  return {
    ...base,
    env: { ...base.env, SPOTWISE_MODE: "shadow", REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
    file: {
      ...base.file,
      accounts: [
        {
          id: "sim",
          name: "bench",
          regions,
          subnets: Object.fromEntries(azs.map((a) => [a, `subnet-${a}`])),
          twoPersonRule: false,
        },
      ],
    },
  };
}

export async function openDecideWorld(opts: { pools: number; instances: number }): Promise<DecideWorld> {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`DATABASE_URL must be a postgres:// URL for the decide bench (got ${redact(databaseUrl)})`);
  }
  const { series, now } = realSeries();
  if (opts.pools > series.length * REGIONS.length) {
    throw new Error(`at most ${series.length * REGIONS.length} pools can be replayed (asked ${opts.pools})`);
  }
  const redis = await connectRedis(redisUrl);
  const prefix = `spotwise-bench:${randomUUID()}:`;
  const dropKeys = async () => {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 5000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  };
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  try {
    fresh = await freshDatabase(databaseUrl);
  } catch (e) {
    redis.disconnect();
    throw e;
  }
  try {
    const market = new RedisMarketStore(redis, { prefix, retentionMs: 0 });
    const pools: PoolKey[] = [];
    let batch: PriceRecord[] = [];
    let points = 0;
    for (let i = 0; i < opts.pools; i++) {
      const src = series[i % series.length];
      const region = REGIONS[Math.floor(i / series.length)];
      const az = `${region}${src[0].az.slice(-1)}`;
      pools.push({ region, az, instanceType: src[0].instanceType });
      for (const r of src) batch.push(region === r.region ? r : { ...r, region, az });
      if (batch.length >= 20_000) {
        points += batch.length;
        await market.appendPrices(batch);
        batch = [];
      }
    }
    points += batch.length;
    if (batch.length) await market.appendPrices(batch);

    const clock = new ManualClock(now);
    const cloud = new SimCloud({ clock });
    seedFleet(cloud, pools, opts.instances, now);
    return {
      now,
      prefix,
      dbUrl: fresh.url,
      clock,
      cloud,
      market,
      redis,
      redisUrl: redact(redisUrl),
      db: fresh.db,
      databaseUrl: redact(databaseUrl),
      pools,
      regions: [...new Set(pools.map((p) => p.region))],
      azs: [...new Set(pools.map((p) => p.az))],
      realSeries: series.length,
      points,
      async dispose() {
        try {
          await dropKeys();
        } finally {
          redis.disconnect();
          await fresh.drop();
        }
      },
    };
  } catch (e) {
    await dropKeys().catch(() => {});
    redis.disconnect();
    await fresh.drop().catch(() => {});
    throw e;
  }
}

/**
 * Features for 5,000 pools per tick vs the floor of one pipelined Redis read of their 7-day history.
 * The series are real: the us-east-1 2021 file of ../shared/data (1,246 pools; bundled GPU file if it is
 * absent), repeated under other region names to reach 5,000 pools. Redis at REDIS_URL or 127.0.0.1:6379,
 * under a unique key prefix removed afterwards.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { RedisMarketStore } from "../src/adapters/market/redis.js";
import { BUNDLED, bundledPath, loadAdvisor, loadOnDemand } from "../src/adapters/tables/index.js";
import { buildFeatureMatrix } from "../src/core/features/engine.js";
import { parsePriceFile } from "../src/core/market/import.js";
import type { PoolKey, PriceRecord } from "../src/core/types.js";
import { poolId } from "../src/core/types.js";
import { sharedDataFile } from "./data.js";
import { type BenchResult, medianMs } from "./types.js";

const POOLS = 5_000;
const DAY = 24 * 3_600_000;

function realRecords(): { records: PriceRecord[]; source: string } {
  let path: string;
  try {
    path = sharedDataFile("prices-us-east-1-2021-03-02_2021-04-30.csv");
  } catch {
    path = bundledPath(BUNDLED.demoPrices);
  }
  return { records: parsePriceFile(readFileSync(path, "utf8"), path).records, source: path };
}

export async function run(): Promise<BenchResult[]> {
  const { records, source } = realRecords();
  const now = records.reduce((m, r) => Math.max(m, r.ts), 0);
  const since = now - 7 * DAY;
  const byPool = new Map<string, PriceRecord[]>();
  for (const r of records) {
    if (r.ts < since - 3 * DAY) continue; // enough to have the price in effect at `since`
    const id = poolId(r);
    const list = byPool.get(id) ?? [];
    list.push(r);
    byPool.set(id, list);
  }
  const real = [...byPool.values()];
  const pools: PoolKey[] = [];
  const copies: PriceRecord[] = [];
  for (let i = 0; i < POOLS; i++) {
    const src = real[i % real.length];
    const copy = Math.floor(i / real.length);
    const region = copy === 0 ? src[0].region : `${src[0].region}-copy${copy}`;
    const az = copy === 0 ? src[0].az : `${region}${src[0].az.slice(-1)}`;
    pools.push({ region, az, instanceType: src[0].instanceType });
    for (const r of src) copies.push({ ...r, region, az });
  }
  const ids = pools.map(poolId);

  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const prefix = `spotwise-bench:${randomUUID()}:`;
  try {
    const store = new RedisMarketStore(redis, { prefix, retentionMs: 0 });
    for (let i = 0; i < copies.length; i += 20_000) await store.appendPrices(copies.slice(i, i + 20_000));
    const [onDemand, advisor] = await Promise.all([loadOnDemand(), loadAdvisor()]);

    const prices = await store.readPrices(ids, since);
    const points = [...prices.values()].reduce((s, p) => s + p.length, 0);
    const readMs = await medianMs(() => store.readPrices(ids, since), 7, 2);
    const capacity = new Map();
    // candidates: the pools of the same type family and size in the region (what the policy would pass)
    const byShape = new Map<string, string[]>();
    pools.forEach((p, i) => {
      const k = `${p.region}|${p.instanceType.split(".")[1]}`;
      byShape.set(k, [...(byShape.get(k) ?? []), ids[i]]);
    });
    const compatible = (p: PoolKey) => byShape.get(`${p.region}|${p.instanceType.split(".")[1]}`) ?? [];
    const featuresMs = await medianMs(
      () => buildFeatureMatrix({ now, pools, prices, capacity, onDemand, advisor, compatible }),
      7,
      2,
    );
    const notes =
      `${POOLS} pools (${real.length} real series from ${source.split("/").pop()}, repeated), ` +
      `${points} points in 7 days + in-effect; Redis ${url.replace(/\/\/[^@]*@/, "//")}`;
    return [
      {
        name: "features for 5,000 pools (one tick)",
        value: featuresMs,
        unit: "ms",
        baseline: { name: "one pipelined Redis read of their history", value: readMs },
        notes,
      },
      {
        name: "features per pool",
        value: (featuresMs * 1000) / POOLS,
        unit: "us",
      },
    ];
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
    redis.disconnect();
  }
}

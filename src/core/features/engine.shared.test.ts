/**
 * The engine on the real us-east-1 2021 series of ../shared/data (not bundled: no licence), read at test time.
 * Cross-checks the time-weighted statistics against an independent method (sampling the step function every
 * 10 s) and the cross-AZ features against their definitions, for every pool of the file at one tick.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sharedDataPath } from "../../../test/support/shared-data.js";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { parsePriceFile } from "../market/import.js";
import type { PoolKey, PricePoint } from "../types.js";
import { parsePoolId } from "../types.js";
import { FEATURE_COUNT, featureIndex } from "./contract.js";
import { buildFeatureMatrix } from "./engine.js";
import { readFeatureSeries } from "./inputs.js";

const FILE = sharedDataPath("prices-us-east-1-2021-03-02_2021-04-30.csv");
const H = 3_600_000;

function sampledMean(points: PricePoint[], t: number, w: number): number {
  const step = 10_000;
  let sum = 0;
  let n = 0;
  let j = -1;
  for (let x = t - w + step / 2; x < t; x += step) {
    while (j + 1 < points.length && points[j + 1].ts <= x) j++;
    if (j < 0) continue;
    sum += points[j].price;
    n++;
  }
  return n ? sum / n : Number.NaN;
}

describe("features on the real us-east-1 series (shared data)", () => {
  it("agree with independent computations for every pool", async () => {
    const records = parsePriceFile(readFileSync(FILE, "utf8"), FILE).records;
    const store = new MemoryMarketStore({ retentionMs: 0 });
    await store.appendPrices(records);
    const now = Date.parse("2021-04-20T12:00:00Z");
    const ids = await store.listPools("us-east-1");
    expect(ids.length).toBe(1246);
    const { prices, capacity } = await readFeatureSeries(store, ids, now);
    const pools: PoolKey[] = ids.map(parsePoolId);
    const m = buildFeatureMatrix({ now, pools, prices, capacity, onDemand: new Map(), advisor: new Map() });
    expect(m.rows).toBe(1246);
    const at = (r: number, name: Parameters<typeof featureIndex>[0]) =>
      m.matrix[r * FEATURE_COUNT + featureIndex(name)];

    const nowPrice = new Map<string, number>();
    for (const [id, pts] of prices) {
      const before = pts.filter((p) => p.ts <= now);
      if (before.length) nowPrice.set(id, before[before.length - 1].price);
    }
    let checked = 0;
    for (let r = 0; r < m.rows; r++) {
      const id = m.poolIds[r];
      const p = nowPrice.get(id);
      if (p === undefined) continue;
      const pts = prices.get(id) ?? [];
      const mean24 = sampledMean(pts, now, 24 * H);
      expect(at(r, "price_trend_24h")).toBeCloseTo(p / mean24, 3);
      // cross-AZ: min over the AZs of the same type with a price now
      const { instanceType } = pools[r];
      const siblings = ids
        .filter((o) => o.endsWith(`/${instanceType}`) && nowPrice.has(o))
        .map((o) => nowPrice.get(o) ?? 0);
      expect(at(r, "price_vs_cheapest_az")).toBeCloseTo(p / Math.min(...siblings), 5);
      expect(at(r, "price_rank_az")).toBe(siblings.filter((s) => s < p).length);
      // changes: records in (now-24h, now] that differ from the previous record
      const changes = pts.filter((x, i) => i > 0 && x.ts > now - 24 * H && x.ts <= now && x.price !== pts[i - 1].price);
      expect(at(r, "price_changes_24h")).toBe(changes.length);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

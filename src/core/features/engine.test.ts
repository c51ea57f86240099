import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parsePriceCsv } from "../market/import.js";
import { type AdvisorTable, type OnDemandTable, tableKey } from "../market/tables.js";
import type { CapacityPoint, PoolKey, PricePoint } from "../types.js";
import { poolId } from "../types.js";
import { FEATURE_COUNT, FEATURE_NAMES, featureIndex } from "./contract.js";
import { buildFeatureMatrix, type FeatureMatrix, featureRow } from "./engine.js";

const here = dirname(fileURLToPath(import.meta.url));
const slice = parsePriceCsv(readFileSync(resolve(here, "fixtures/gpu-slice.csv"), "utf8"), "gpu-slice.csv");

function seriesByPool(): Map<string, PricePoint[]> {
  const m = new Map<string, PricePoint[]>();
  for (const r of slice.records) {
    const id = poolId(r);
    const list = m.get(id) ?? [];
    list.push({ ts: r.ts, price: r.price });
    m.set(id, list);
  }
  for (const list of m.values()) list.sort((a, b) => a.ts - b.ts);
  return m;
}

const T = Date.parse("2020-01-15T00:00:00Z"); // a Wednesday
const S = 1000;
const H = 3600 * S;
const pool = (az: string, type = "p3.2xlarge"): PoolKey => ({ region: az.slice(0, -1), az, instanceType: type });
const b = pool("us-east-1b");
const f = pool("us-east-1f");
const flat = pool("eu-west-2a");
const onDemand: OnDemandTable = new Map([[tableKey("us-east-1", "p3.2xlarge"), 3.06]]);
const advisor: AdvisorTable = new Map([
  [tableKey("us-east-1", "p3.2xlarge"), { region: "us-east-1", instanceType: "p3.2xlarge", bucket: 4, savingsPct: 70 }],
]);

function build(pools: PoolKey[], extra: Partial<Parameters<typeof buildFeatureMatrix>[0]> = {}): FeatureMatrix {
  return buildFeatureMatrix({
    now: T,
    pools,
    prices: seriesByPool(),
    capacity: new Map(),
    onDemand,
    advisor,
    ...extra,
  });
}

// us-east-1b p3.2xlarge records around T (from the slice):
//   2020-01-13T15:13:46Z 1.0880, 2020-01-13T22:38:24Z 1.0923, 2020-01-14T03:56:09Z 1.0957,
//   2020-01-14T10:06:32Z 1.1019, 2020-01-14T17:34:40Z 1.0982, 2020-01-14T23:11:30Z 1.0924
// Over [T-24h, T] the price is 1.0923 for 14169 s, 1.0957 for 22223 s, 1.1019 for 26888 s,
// 1.0982 for 20210 s and 1.0924 for 2910 s (sum 86400 s).
const seg24 = [
  [1.0923, 14169],
  [1.0957, 22223],
  [1.1019, 26888],
  [1.0982, 20210],
  [1.0924, 2910],
] as const;
// Over [T-7d, T] only the part from the first record of the slice (2020-01-13T15:13:46Z) is known:
// 1.0880 from 15:13:46 to 22:38:24 (26678 s), then 1.0923 from 22:38:24 to 24:00 (4896 s) plus the 24 h above.
const seg7d = [[1.088, 26678], [1.0923, 4896 + 14169], ...seg24.slice(1)] as const;

function weighted(segs: ReadonlyArray<readonly [number, number]>): { mean: number; std: number } {
  const total = segs.reduce((s, [, d]) => s + d, 0);
  const mean = segs.reduce((s, [p, d]) => s + p * d, 0) / total;
  const variance = segs.reduce((s, [p, d]) => s + (p - mean) ** 2 * d, 0) / total;
  return { mean, std: Math.sqrt(variance) };
}

describe("feature contract", () => {
  it("has 24 features in a fixed order", () => {
    expect(FEATURE_COUNT).toBe(24);
    expect(featureIndex("cap_available_now")).toBe(14);
    expect(featureIndex("hour_of_week")).toBe(23);
  });
});

describe("buildFeatureMatrix on the real GPU slice", () => {
  it("computes the price features of us-east-1b p3.2xlarge by hand", () => {
    const m = build([b, f]);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(FEATURE_COUNT);
    expect(m.poolIds).toEqual(["us-east-1/us-east-1b/p3.2xlarge", "us-east-1/us-east-1f/p3.2xlarge"]);
    const row = featureRow(m, 0);
    const w24 = weighted(seg24);
    const w7 = weighted(seg7d);
    expect(row.price_od_ratio).toBeCloseTo(1.0924 / 3.06, 6);
    expect(row.price_changes_1h).toBe(1); // 23:11:30 (1.0982 -> 1.0924)
    expect(row.price_changes_24h).toBe(4); // 03:56:09, 10:06:32, 17:34:40, 23:11:30
    expect(row.price_changes_7d).toBe(5); // + 22:38:24; the first record of the slice has no predecessor
    expect(w24.mean).toBeCloseTo(94827.89 / 86400, 5); // 15476.77 + 24349.74 + 29627.88 + 22194.62 + 3178.88
    expect(row.price_cv_24h).toBeCloseTo(w24.std / w24.mean, 6);
    expect(row.price_cv_7d).toBeCloseTo(w7.std / w7.mean, 6);
    expect(row.price_trend_24h).toBeCloseTo(1.0924 / w24.mean, 6);
    expect(row.hours_since_price_change).toBeCloseTo(2910 / 3600, 5);
    // prices now: b 1.0924, c 0.9620 (20:13:10), d 0.9537 (19:31:52), f 0.9430 (18:25:04)
    expect(row.price_vs_cheapest_az).toBeCloseTo(1.0924 / 0.943, 6);
    expect(row.price_rank_az).toBe(3);
    expect(row.price_vs_cheapest_compatible).toBeNaN(); // no compatibility given
    expect(row.advisor_bucket).toBe(4);
    expect(row.advisor_savings_pct).toBe(70);
    expect(row.placement_score).toBeNaN();
    expect(row.hour_of_week).toBe(48); // Wednesday 00:00
    const rowF = featureRow(m, 1);
    expect(rowF.price_vs_cheapest_az).toBe(1);
    expect(rowF.price_rank_az).toBe(0);
  });

  it("treats a flat, re-emitted price as unchanged since its first record", () => {
    // eu-west-2a p3.2xlarge: 1.0767 from 2020-01-10T20:41:15Z, re-emitted daily, never changed
    const row = featureRow(build([flat]), 0);
    expect(row.price_changes_24h).toBe(0);
    expect(row.price_changes_7d).toBe(0);
    expect(row.price_cv_24h).toBe(0);
    expect(row.price_trend_24h).toBeCloseTo(1, 6);
    expect(row.hours_since_price_change).toBeCloseTo((4 * 86400 + 3 * 3600 + 18 * 60 + 45) / 3600, 5);
    expect(row.price_od_ratio).toBeNaN(); // no on-demand price given for eu-west-2
    expect(row.advisor_bucket).toBeNaN();
    expect(row.price_vs_cheapest_az).toBe(1); // the only AZ in the slice
  });

  it("compares with the cheapest compatible pool and uses placement scores", () => {
    const m = build([b], {
      compatible: () => [poolId(f), poolId(flat), "us-east-1/us-east-1a/p3.2xlarge" /* no data */],
      placement: new Map([[poolId(b), 7]]),
    });
    const row = featureRow(m, 0);
    expect(row.price_vs_cheapest_compatible).toBeCloseTo(1.0924 / 0.943, 6);
    expect(row.placement_score).toBe(7);
  });

  it("is NaN before the first record and ignores records after now", () => {
    const early = Date.parse("2020-01-13T12:00:00Z");
    const m = buildFeatureMatrix({
      now: early,
      pools: [b],
      prices: seriesByPool(),
      capacity: new Map(),
      onDemand,
      advisor,
    });
    const row = featureRow(m, 0);
    for (const name of [
      "price_od_ratio",
      "price_changes_1h",
      "price_changes_24h",
      "price_changes_7d",
      "price_cv_24h",
      "price_trend_24h",
      "hours_since_price_change",
    ]) {
      expect(row[name], name).toBeNaN();
    }
    expect(row.price_vs_cheapest_az).toBeNaN();
    // one second after the first record: known part is 1 s
    const m2 = buildFeatureMatrix({
      now: Date.parse("2020-01-13T15:13:47Z"),
      pools: [b],
      prices: seriesByPool(),
      capacity: new Map(),
      onDemand,
      advisor,
    });
    const r2 = featureRow(m2, 0);
    expect(r2.price_trend_24h).toBe(1);
    expect(r2.hours_since_price_change).toBeCloseTo(1 / 3600, 8);
  });

  it("writes the capacity features of the pool's series", () => {
    const cap: CapacityPoint[] = [
      { ts: T - 10 * H, available: 1 },
      { ts: T - 2 * H, available: 0 },
    ];
    const row = featureRow(build([b], { capacity: new Map([[poolId(b), cap]]) }), 0);
    expect(row.cap_available_now).toBe(0);
    expect(row.cap_unavail_frac_1h).toBe(1);
    expect(row.cap_unavail_frac_6h).toBeCloseTo(2 / 6, 6);
    expect(row.cap_unavail_frac_24h).toBeCloseTo(2 / 10, 6); // known part is 10 h
    expect(row.cap_unavailable_run_hours).toBe(2);
    expect(row.cap_loss_events_24h).toBe(1);
  });

  it("lays rows out row-major in contract order", () => {
    const m = build([b, flat, f]);
    expect(m.matrix.length).toBe(3 * FEATURE_COUNT);
    for (let c = 0; c < FEATURE_COUNT; c++) {
      const v = m.matrix[1 * FEATURE_COUNT + c];
      const named = featureRow(m, 1)[FEATURE_NAMES[c]];
      expect(Number.isNaN(v) ? Number.isNaN(named) : v === named).toBe(true);
    }
  });
});

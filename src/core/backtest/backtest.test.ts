import { describe, expect, it } from "vitest";
import type { AdvisorTable, Catalog, OnDemandTable } from "../market/tables.js";
import type { InstanceTypeInfo, InterruptionBucket, PriceRecord } from "../types.js";
import { autoSpottingPolicy, greedyPolicy, karpenterPolicy, stayPolicy } from "./baselines.js";
import { buildFleet, defaultFleet, parseFleetCsv } from "./fleet.js";
import { buildPriceGrid, HOUR_MS } from "./grid.js";
import { scheduleCost, simContext } from "./model.js";
import { runBacktest } from "./run.js";

const T0 = Date.UTC(2021, 2, 1, 0, 0, 0);
const R = "us-east-1";

function rec(h: number, az: string, instanceType: string, price: number): PriceRecord {
  return { ts: T0 + h * HOUR_MS, region: R, az: `${R}${az}`, instanceType, price };
}

function type(instanceType: string, vcpus: number, memGib: number): InstanceTypeInfo {
  return {
    instanceType,
    vcpus,
    memoryMib: memGib * 1024,
    architectures: ["x86_64"],
    gpuCount: 0,
    gpuModel: null,
    burstable: false,
    currentGeneration: true,
  };
}

const catalog: Catalog = new Map(
  [type("m5.large", 2, 8), type("m5a.large", 2, 8), type("c5.large", 2, 4)].map((t) => [t.instanceType, t]),
);
const onDemand: OnDemandTable = new Map([
  [`${R}|m5.large`, 0.096],
  [`${R}|m5a.large`, 0.086],
]);
const advisor: AdvisorTable = new Map(
  (
    [
      ["m5.large", 0],
      ["m5a.large", 4],
    ] as [string, InterruptionBucket][]
  ).map(([t, b]) => [`${R}|${t}`, { region: R, instanceType: t, bucket: b, savingsPct: 60 }]),
);

/** m5.large in b is cheap from hour 60 on; m5a.large in a is cheap for a few hours only; c5.large has no OD. */
const records: PriceRecord[] = [
  rec(0.5, "b", "m5.large", 0.04),
  rec(1, "a", "m5.large", 0.04),
  rec(2, "a", "m5a.large", 0.05),
  rec(3, "a", "c5.large", 0.02),
  rec(60, "b", "m5.large", 0.02),
  rec(70, "a", "m5a.large", 0.01),
  rec(73, "a", "m5a.large", 0.05),
  rec(50, "c", "m5.large", 0.03),
  rec(120, "a", "m5.large", 0.04),
];

describe("price grid", () => {
  it("starts 48 h after the first record on a whole hour; a price holds until the next record; NaN before the first", () => {
    const g = buildPriceGrid(records);
    expect(g.start).toBe(T0 + 49 * HOUR_MS); // first record 00:30 + 48 h → ceil to 49 h
    expect(g.hours).toBe(120 - 49 + 1);
    const at = (id: string, hour: number) => g.price[g.index.get(id)! * g.hours + hour];
    expect(at(`${R}/${R}b/m5.large`, 0)).toBe(0.04);
    expect(at(`${R}/${R}b/m5.large`, 11)).toBe(0.02); // hour 60
    expect(at(`${R}/${R}a/m5a.large`, 21)).toBe(0.01); // hour 70
    expect(at(`${R}/${R}a/m5a.large`, 24)).toBe(0.05); // hour 73
    expect(at(`${R}/${R}c/m5.large`, 0)).toBeNaN(); // first record at hour 50
    expect(at(`${R}/${R}c/m5.large`, 1)).toBe(0.03);
    // the 48 warm-up hours are kept for history-based inputs (the policy's price mean), no policy acts in them
    expect(g.warmupHours).toBe(48);
    const warm = (id: string, k: number) => g.warmupPrice[g.index.get(id)! * g.warmupHours + k];
    expect(warm(`${R}/${R}b/m5.large`, 0)).toBe(0.04); // hour 1
    expect(warm(`${R}/${R}a/m5a.large`, 0)).toBeNaN(); // first record at hour 2
    expect(warm(`${R}/${R}a/m5a.large`, 47)).toBe(0.05);
  });

  it("with --initial records starts at the first hour of the series", () => {
    const g = buildPriceGrid(
      records.filter((r) => r.ts >= T0 + 50 * HOUR_MS),
      { initial: records.filter((r) => r.ts < T0 + 50 * HOUR_MS) },
    );
    expect(g.start).toBe(T0 + 50 * HOUR_MS);
    expect(g.price[g.index.get(`${R}/${R}a/m5.large`)! * g.hours]).toBe(0.04);
  });

  it("does not depend on the order of the records, but for records of one pool and time: the later one holds", () => {
    const sorted = [...records].sort((a, b) => a.ts - b.ts);
    const shuffled = [...records].reverse();
    const a = buildPriceGrid(sorted);
    const b = buildPriceGrid(shuffled);
    expect(b.ids).toEqual(a.ids);
    expect(b.price).toEqual(a.price);
    expect(b.recordTs).toEqual(a.recordTs);
    expect(b.warmupPrice).toEqual(a.warmupPrice);
    const twice = buildPriceGrid([...records, rec(60, "b", "m5.large", 0.03)]);
    expect(twice.price[twice.index.get(`${R}/${R}b/m5.large`)! * twice.hours + 11]).toBe(0.03);
  });

  it("refuses a series shorter than the warm-up", () => {
    expect(() => buildPriceGrid(records.slice(0, 3))).toThrow(/48 h warm-up/);
  });
});

describe("fleet and cost model", () => {
  const grid = buildPriceGrid(records);
  const rules = { maxVcpuFactor: 2, allowFamilies: [], denyFamilies: [] };

  it("by default has one instance per type with an on-demand price, in the first AZ priced at the start", () => {
    const specs = defaultFleet(grid, onDemand);
    expect(specs.map((s) => `${s.instanceType}@${s.az}`)).toEqual(["m5.large@us-east-1a", "m5a.large@us-east-1a"]);
    const { instances } = buildFleet(specs, grid, { onDemand, catalog }, rules);
    const ids = (i: number) => Array.from(instances[i].candidates, (p) => grid.ids[p]);
    expect(ids(0)).toEqual([
      `${R}/${R}a/m5.large`,
      `${R}/${R}a/m5a.large`,
      `${R}/${R}b/m5.large`,
      `${R}/${R}c/m5.large`,
    ]);
  });

  it("reads a fleet CSV and skips instances it cannot replay, saying why", () => {
    const specs = parseFleetCsv(
      "instance_id,region,az,instance_type\ni-1,us-east-1,us-east-1b,m5.large\ni-2,us-east-1,us-east-1a,c5.large\ni-3,us-east-1,us-east-1c,m5.large\n",
      "fleet.csv",
    );
    const { instances, skipped } = buildFleet(specs, grid, { onDemand, catalog }, rules);
    expect(instances.map((i) => i.instanceId)).toEqual(["i-1"]);
    expect(skipped.map((s) => s.reason)).toEqual([
      "no on-demand price for c5.large in us-east-1",
      "pool us-east-1/us-east-1c/m5.large has no price at the start of the replay",
    ]);
    expect(() => parseFleetCsv("instance_id,region,az\n", "f.csv")).toThrow(/missing column "instance_type"/);
  });

  it("charges spot price + bucket rate / 730 × 2 × on-demand price per hour, 0.5 × on-demand per switch", async () => {
    const { instances } = buildFleet(defaultFleet(grid, onDemand), grid, { onDemand, catalog }, rules);
    const ctx = simContext(grid, instances, advisor);
    const [stay] = await stayPolicy.run(ctx);
    const perHour = 0.04 + (0.025 / 730) * 2 * 0.096;
    expect(scheduleCost(ctx, instances[0], stay).cost).toBeCloseTo(grid.hours * perHour, 9);
    const moved = {
      initial: instances[0].startPool,
      choice: new Int32Array(grid.hours).fill(grid.index.get(`${R}/${R}b/m5.large`)!),
    };
    const c = scheduleCost(ctx, instances[0], moved);
    expect(c.switches).toBe(1);
    const bPrices = Array.from({ length: grid.hours }, (_, h) => (h < 11 ? 0.04 : 0.02));
    const expected = bPrices.reduce((a, p) => a + p + (0.025 / 730) * 2 * 0.096, 0) + 0.5 * 0.096;
    expect(c.cost).toBeCloseTo(expected, 9);
  });

  it("greedy chases every dip, autospotting moves once in its AZ, karpenter needs 15 cheaper types", async () => {
    const { instances } = buildFleet(defaultFleet(grid, onDemand), grid, { onDemand, catalog }, rules);
    const ctx = simContext(grid, instances, advisor);
    const name = (p: number) => grid.ids[p].split("/").slice(1).join("/");
    const path = (choice: Int32Array) => [...new Set(Array.from(choice, name))];
    const [greedy] = await greedyPolicy.run(ctx);
    expect(path(greedy.choice)).toEqual([`${R}a/m5.large`, `${R}c/m5.large`, `${R}b/m5.large`, `${R}a/m5a.large`]);
    const [auto] = await autoSpottingPolicy.run(ctx);
    expect(path(auto.choice)).toEqual([`${R}a/m5.large`]); // m5a.large in a is dearer at the start
    const [karp] = await karpenterPolicy.run(ctx);
    expect(path(karp.choice)).toEqual([`${R}a/m5.large`]);
  });
});

describe("karpenter consolidation", () => {
  // 16 interchangeable types in two AZs: every instance has the same candidate list, and a type counts once
  // however many of its pools are cheaper
  const types = Array.from({ length: 16 }, (_, i) => `m${i + 10}.large`);
  const cat: Catalog = new Map(types.map((t) => [t, type(t, 2, 8)]));
  const od: OnDemandTable = new Map(types.map((t) => [`${R}|${t}`, 0.2]));
  const adv: AdvisorTable = new Map();
  it("moves every instance with the list to its cheapest pool once 15 types are cheaper, not with 14", async () => {
    for (const [cheaper, moves] of [
      [15, true],
      [14, false],
    ] as const) {
      const recs: PriceRecord[] = types.flatMap((t) => [rec(0, "a", t, 0.1), rec(0, "b", t, 0.1)]);
      types.slice(types.length - cheaper).forEach((t, i) => {
        recs.push(rec(60, "a", t, i === 3 ? 0.04 : 0.05), rec(60, "b", t, 0.05));
      });
      recs.push(rec(100, "a", types[0], 0.1));
      const g = buildPriceGrid(recs);
      const rules = { maxVcpuFactor: 2, allowFamilies: [], denyFamilies: [] };
      const { instances } = buildFleet(defaultFleet(g, od), g, { onDemand: od, catalog: cat }, rules);
      expect(instances).toHaveLength(16);
      // every pool at 0.1 from hour 0; from hour 60 `cheaper` types (the last ones) at 0.05, one pool at 0.04
      const schedules = await karpenterPolicy.run(simContext(g, instances, adv));
      const target = types[types.length - cheaper + 3];
      instances.forEach((inst, i) => {
        const seen = [...new Set(Array.from(schedules[i].choice, (p) => g.pools[p].instanceType))];
        // an instance already in a cheap pool has fewer than 15 cheaper types and stays
        const dear = types.indexOf(inst.instanceType) < types.length - cheaper;
        expect(seen, `${cheaper} cheaper, ${inst.instanceType}`).toEqual(
          moves && dear ? [inst.instanceType, target] : [inst.instanceType],
        );
      });
    }
  });
});

describe("runBacktest", () => {
  it("reports every policy against stay, on-demand and the oracle; the oracle is never beaten", async () => {
    const r = await runBacktest({ prices: records, onDemand, advisor, catalog });
    expect(r.hours).toBe(72);
    expect(r.instances).toBe(2);
    expect(r.results.map((x) => x.policy)).toEqual([
      "stay",
      "ondemand",
      "greedy",
      "autospotting",
      "karpenter",
      "spotwise",
      "oracle",
    ]);
    expect(Object.keys(r.results[0]).sort()).toEqual(
      [
        "oracle_capture_pct",
        "policy",
        "savings_vs_ondemand_pct",
        "savings_vs_stay_pct",
        "switches",
        "switches_per_instance_week",
        "total_cost_usd",
      ].sort(),
    );
    const by = new Map(r.results.map((x) => [x.policy, x]));
    const oracle = by.get("oracle")!;
    for (const x of r.results) expect(x.total_cost_usd).toBeGreaterThanOrEqual(oracle.total_cost_usd);
    expect(oracle.oracle_capture_pct).toBe(100);
    expect(by.get("stay")!.savings_vs_stay_pct).toBe(0);
    expect(by.get("ondemand")!.savings_vs_ondemand_pct).toBe(0);
    // spotwise saves over stay with fewer moves than the price chaser
    expect(by.get("spotwise")!.total_cost_usd).toBeLessThan(by.get("stay")!.total_cost_usd);
    expect(by.get("spotwise")!.switches).toBeLessThan(by.get("greedy")!.switches);
  });

  it("is deterministic and runs only what is asked (plus its baselines)", async () => {
    const a = await runBacktest({ prices: records, onDemand, advisor, catalog, policies: ["spotwise"] });
    const b = await runBacktest({ prices: records, onDemand, advisor, catalog, policies: ["spotwise"] });
    expect(a.results).toEqual(b.results);
    expect(a.results.map((x) => x.policy)).toEqual(["spotwise"]);
  });
});

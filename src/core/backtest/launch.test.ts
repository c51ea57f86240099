import { describe, expect, it } from "vitest";
import type { AdvisorTable, Catalog, OnDemandTable } from "../market/tables.js";
import { DEFAULT_POLICY_SETTINGS } from "../policy/settings.js";
import type { ModelRunner } from "../ports/model-runner.js";
import type { PriceRecord } from "../types.js";
import { buildFleet } from "./fleet.js";
import { buildPriceGrid, HOUR_MS } from "./grid.js";
import { simContext } from "./model.js";
import { advisorRiskScorer } from "./risk.js";
import { type SpotwiseRun, spotwisePolicy } from "./spotwise.js";

const T0 = Date.UTC(2021, 2, 1);
const R = "us-east-1";
const catalog: Catalog = new Map([
  [
    "m5.large",
    {
      instanceType: "m5.large",
      vcpus: 2,
      memoryMib: 8192,
      architectures: ["x86_64"],
      gpuCount: 0,
      gpuModel: null,
      burstable: false,
      currentGeneration: true,
    },
  ],
]);
const onDemand: OnDemandTable = new Map([[`${R}|m5.large`, 0.096]]);
const advisor: AdvisorTable = new Map([
  [`${R}|m5.large`, { region: R, instanceType: "m5.large", bucket: 0, savingsPct: 60 }],
]);
const rec = (h: number, az: string, price: number): PriceRecord => ({
  ts: T0 + h * HOUR_MS,
  region: R,
  az: `${R}${az}`,
  instanceType: "m5.large",
  price,
});
/** Flat prices: a is dear, b the cheapest, c in between; a record every 12 h keeps every pool fresh. */
const records: PriceRecord[] = [];
for (let h = 0; h <= 96; h += 12) records.push(rec(h, "a", 0.08), rec(h, "b", 0.02), rec(h, "c", 0.03));
records.sort((x, y) => x.ts - y.ts);

/** A stand-in for the shipped model: the same P(launch finds no capacity) for every row, calls recorded. */
function stubModel(p: number): ModelRunner & { calls: number[] } {
  const calls: number[] = [];
  return {
    modelId: "stub",
    name: "stub",
    contractVersion: "spotwise-features/1",
    calls,
    async predict(_features, rows) {
      calls.push(rows);
      return new Float32Array(rows).fill(p);
    },
    async close() {},
  };
}

/** Two instances in the dear AZ: the fleet budget lets one move at hour 0 (to b), the other at hour 1. */
async function replay(model: ModelRunner | undefined, advisorOnly = false) {
  const grid = buildPriceGrid(records);
  const specs = ["i-1", "i-2"].map((instanceId) => ({
    instanceId,
    region: R,
    az: `${R}a`,
    instanceType: "m5.large",
    azFlexible: true,
  }));
  const { instances } = buildFleet(specs, grid, { onDemand, catalog }, DEFAULT_POLICY_SETTINGS);
  const stats: SpotwiseRun = { strategies: new Map() };
  const policy = spotwisePolicy({ ...DEFAULT_POLICY_SETTINGS }, advisorRiskScorer(advisor), stats, {
    advisor,
    advisorOnly,
    launch: model ? { runner: model, records, onDemand, advisor } : undefined,
  });
  const schedules = await policy.run(simContext(grid, instances, advisor));
  const az = (i: number, h: number) => grid.pools[schedules[i].choice[h]]?.az;
  return { az, stats };
}

describe("the model's launch veto in the replayed spotwise policy", () => {
  it("scores the pool the replay launched into and vetoes it above maxLaunchFailure, as the daemon does", async () => {
    const none = await replay(undefined);
    expect([none.az(0, 0), none.az(1, 0), none.az(1, 1)]).toEqual([`${R}b`, `${R}a`, `${R}b`]);

    const vetoing = stubModel(0.95);
    const vetoed = await replay(vetoing);
    // b holds i-1 since hour 0 and is observed; the model says a launch there will fail: i-2 takes c instead
    expect([vetoed.az(0, 0), vetoed.az(1, 1)]).toEqual([`${R}b`, `${R}c`]);
    expect(vetoed.stats.launch?.vetoed).toBeGreaterThan(0);
    expect(vetoed.stats.launch?.scored).toBeGreaterThan(0);
    // only observed pools are scored: nothing before the first launch, one pool after it
    expect(vetoing.calls[0]).toBe(1);

    const passing = await replay(stubModel(0.3));
    expect(passing.az(1, 1)).toBe(`${R}b`);
    expect(passing.stats.launch?.vetoed).toBe(0);
  });

  it("is not used with --risk advisor (no observations: the advisor-only charge of issue 5)", async () => {
    const model = stubModel(0.95);
    const r = await replay(model, true);
    expect(r.az(1, 1)).toBe(`${R}b`);
    expect(model.calls).toEqual([]);
    expect(r.stats.launch).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import type { BacktestInstance } from "./fleet.js";
import type { PriceGrid } from "./grid.js";
import { ON_DEMAND, type Schedule, type SimContext, scheduleCost } from "./model.js";
import { oracleSchedule } from "./oracle.js";

/** A tiny deterministic PRNG so the cases are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomCase(seed: number, pools: number, hours: number): { ctx: SimContext; inst: BacktestInstance } {
  const r = rng(seed);
  const price = new Float64Array(pools * hours);
  for (let p = 0; p < pools; p++) {
    // some pools appear late (no price yet = unavailable), pool 0 is always priced
    const from = p === 0 ? 0 : Math.floor(r() * 3);
    for (let h = 0; h < hours; h++) price[p * hours + h] = h < from ? Number.NaN : 0.2 + Math.round(r() * 40) / 100;
  }
  const grid: PriceGrid = {
    start: 0,
    hours,
    pools: Array.from({ length: pools }, (_, i) => ({
      region: "r-1",
      az: `r-1${"abc"[i % 3]}`,
      instanceType: `t${i}`,
    })),
    ids: Array.from({ length: pools }, (_, i) => `p${i}`),
    index: new Map(),
    price,
    warmupHours: 0,
    warmupPrice: new Float64Array(0),
  };
  const riskCostFactor = Float64Array.from({ length: pools }, () => Math.round(r() * 10) / 1000);
  const odPrice = 0.2 + Math.round(r() * 6) / 10;
  const inst: BacktestInstance = {
    instanceId: `i-${seed}`,
    region: "r-1",
    az: "r-1a",
    instanceType: "t0",
    startPool: 0,
    odPrice,
    candidates: Int32Array.from({ length: pools }, (_, i) => i),
  };
  return { ctx: { grid, instances: [inst], riskCostFactor }, inst };
}

/** Every schedule over pools + on-demand, cost by the same evaluator; unavailable pools skipped. */
function bruteForce(ctx: SimContext, inst: BacktestInstance): { cost: number; switches: number } {
  const states = [...inst.candidates, ON_DEMAND];
  const hours = ctx.grid.hours;
  let best = { cost: Number.POSITIVE_INFINITY, switches: Number.POSITIVE_INFINITY };
  const choice = new Int32Array(hours);
  const walk = (h: number): void => {
    if (h === hours) {
      const s: Schedule = { initial: inst.startPool, choice };
      const r = scheduleCost(ctx, inst, s);
      if (r.cost < best.cost - 1e-9 || (Math.abs(r.cost - best.cost) <= 1e-9 && r.switches < best.switches)) best = r;
      return;
    }
    for (const st of states) {
      if (st !== ON_DEMAND && Number.isNaN(ctx.grid.price[st * hours + h])) continue;
      choice[h] = st;
      walk(h + 1);
    }
  };
  walk(0);
  return best;
}

describe("oracle (dynamic programming)", () => {
  it("finds the minimum-cost schedule, proven by brute force on 60 small random cases", () => {
    let moved = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const pools = 2 + (seed % 3); // 2..4 pools + on-demand
      const hours = 4 + (seed % 3); // 4..6 hours
      const { ctx, inst } = randomCase(seed, pools, hours);
      const dp = scheduleCost(ctx, inst, oracleSchedule(ctx, inst));
      const brute = bruteForce(ctx, inst);
      expect(dp.cost).toBeCloseTo(brute.cost, 9);
      expect(dp.switches).toBeLessThanOrEqual(brute.switches);
      if (dp.switches > 0) moved++;
    }
    // the cases are not trivial: the optimum moves in many of them
    expect(moved).toBeGreaterThan(10);
  });

  it("stays put when a move does not pay back its switch cost", () => {
    const { ctx, inst } = randomCase(7, 2, 3);
    ctx.grid.price.set([0.3, 0.3, 0.3, 0.29, 0.29, 0.29]);
    ctx.riskCostFactor.fill(0);
    inst.odPrice = 1; // switch cost 0.5 > 3 h × 0.01
    const s = oracleSchedule(ctx, inst);
    expect(Array.from(s.choice)).toEqual([0, 0, 0]);
    // a large enough gap pays: 3 h × 0.2 > 0.5 × od (a new grid: grids are not changed once built)
    ctx.grid = { ...ctx.grid, price: Float64Array.from([0.5, 0.5, 0.5, 0.1, 0.1, 0.1]) };
    expect(Array.from(oracleSchedule(ctx, inst).choice)).toEqual([1, 1, 1]);
  });

  it("never uses a pool before it has a price", () => {
    const { ctx, inst } = randomCase(3, 2, 4);
    ctx.grid.price.set([0.5, 0.5, 0.5, 0.5, Number.NaN, Number.NaN, 0.01, 0.01]);
    ctx.riskCostFactor.fill(0);
    inst.odPrice = 0.1;
    const s = oracleSchedule(ctx, inst);
    // on-demand (0.1) is cheaper than pool 0 until pool 1 appears at 0.01
    expect(Array.from(s.choice)).toEqual([ON_DEMAND, ON_DEMAND, 1, 1]);
  });
});

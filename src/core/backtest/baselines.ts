/**
 * Reference policies of the backtest: stay, on-demand, and the price chasers of other tools
 * (greedy, AutoSpotting, Karpenter spot-to-spot consolidation), all judged on spot price.
 */
import type { BacktestInstance } from "./fleet.js";
import { ON_DEMAND, type Schedule, type SimContext } from "./model.js";

export interface BacktestPolicy {
  readonly name: string;
  run(ctx: SimContext): Promise<Schedule[]>;
}

function perInstance(name: string, f: (ctx: SimContext, inst: BacktestInstance) => Schedule): BacktestPolicy {
  return { name, run: async (ctx) => ctx.instances.map((inst) => f(ctx, inst)) };
}

/** The cheapest available candidate by spot price at `hour`, ties to the lowest pool id; -1 if none. */
function cheapest(ctx: SimContext, pools: Int32Array, hour: number): number {
  const { price, hours } = ctx.grid;
  let best = -1;
  let bestPrice = Number.POSITIVE_INFINITY;
  for (let k = 0; k < pools.length; k++) {
    const v = price[pools[k] * hours + hour];
    if (v < bestPrice) {
      bestPrice = v;
      best = pools[k];
    }
  }
  return best;
}

export const stayPolicy = perInstance("stay", (ctx, inst) => ({
  initial: inst.startPool,
  choice: new Int32Array(ctx.grid.hours).fill(inst.startPool),
}));

/** Runs on-demand all along (no switch: the baseline bill). */
export const onDemandPolicy = perInstance("ondemand", (ctx) => ({
  initial: ON_DEMAND,
  choice: new Int32Array(ctx.grid.hours).fill(ON_DEMAND),
}));

/** Always the cheapest candidate by spot price, moving whenever another pool is strictly cheaper. */
export const greedyPolicy = perInstance("greedy", (ctx, inst) => {
  const { price, hours } = ctx.grid;
  const choice = new Int32Array(hours);
  let cur = inst.startPool;
  for (let h = 0; h < hours; h++) {
    const b = cheapest(ctx, inst.candidates, h);
    if (b >= 0 && price[b * hours + h] < price[cur * hours + h]) cur = b;
    choice[h] = cur;
  }
  return { initial: inst.startPool, choice };
});

/**
 * AutoSpotting: replaces the instance once with the cheapest compatible type at least as large, launched in
 * the same AZ (it reuses the replaced instance's subnet), and keeps it there (no spot-to-spot moves on price).
 */
export const autoSpottingPolicy = perInstance("autospotting", (ctx, inst) => {
  const sameAz = inst.candidates.filter((p) => ctx.grid.pools[p].az === inst.az);
  const b = cheapest(ctx, sameAz, 0);
  const { price, hours } = ctx.grid;
  const target = b >= 0 && price[b * hours] < price[inst.startPool * hours] ? b : inst.startPool;
  return { initial: inst.startPool, choice: new Int32Array(hours).fill(target) };
});

/** Karpenter spot-to-spot consolidation: replace only when at least this many instance types are cheaper. */
export const KARPENTER_MIN_TYPES = 15;

/** Karpenter: each hour, if at least 15 candidate instance types are strictly cheaper, move to the cheapest. */
export const karpenterPolicy = perInstance("karpenter", (ctx, inst) => {
  const { price, hours, pools } = ctx.grid;
  const choice = new Int32Array(hours);
  const seen = new Set<string>();
  let cur = inst.startPool;
  for (let h = 0; h < hours; h++) {
    const now = price[cur * hours + h];
    seen.clear();
    let best = -1;
    let bestPrice = Number.POSITIVE_INFINITY;
    for (let k = 0; k < inst.candidates.length; k++) {
      const p = inst.candidates[k];
      const v = price[p * hours + h];
      if (!(v < now)) continue;
      seen.add(pools[p].instanceType);
      if (v < bestPrice) {
        bestPrice = v;
        best = p;
      }
    }
    if (best >= 0 && seen.size >= KARPENTER_MIN_TYPES) cur = best;
    choice[h] = cur;
  }
  return { initial: inst.startPool, choice };
});

/**
 * Reference policies of the backtest: stay, on-demand, and the price chasers of other tools
 * (greedy, AutoSpotting, Karpenter spot-to-spot consolidation), all judged on spot price.
 */
import type { BacktestInstance } from "./fleet.js";
import { type PriceGrid, pricesByHour } from "./grid.js";
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
  const byHour = pricesByHour(ctx.grid);
  const row = hour * ctx.grid.pools.length;
  let best = -1;
  let bestPrice = Number.POSITIVE_INFINITY;
  for (let k = 0; k < pools.length; k++) {
    const v = byHour[row + pools[k]];
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
export const greedyPolicy: BacktestPolicy = {
  name: "greedy",
  run: async (ctx) => {
    const { hours } = ctx.grid;
    const P = ctx.grid.pools.length;
    const byHour = pricesByHour(ctx.grid);
    // the cheapest of a candidate list each hour, found once for every instance with that list
    const cheapestOf = new Map<string, Int32Array>();
    return ctx.instances.map((inst) => {
      const key = inst.candidates.join(",");
      let best = cheapestOf.get(key);
      if (!best) {
        best = new Int32Array(hours);
        for (let h = 0; h < hours; h++) best[h] = cheapest(ctx, inst.candidates, h);
        cheapestOf.set(key, best);
      }
      const choice = new Int32Array(hours);
      let cur = inst.startPool;
      for (let h = 0; h < hours; h++) {
        const b = best[h];
        if (b >= 0 && byHour[h * P + b] < byHour[h * P + cur]) cur = b;
        choice[h] = cur;
      }
      return { initial: inst.startPool, choice };
    });
  },
};

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

const typeIdCache = new WeakMap<PriceGrid, { typeOf: Int32Array; types: number }>();

/** A small integer per instance type of the grid's pools, so "how many types" needs no set of strings. */
function typeIds(grid: PriceGrid): { typeOf: Int32Array; types: number } {
  let t = typeIdCache.get(grid);
  if (!t) {
    const ids = new Map<string, number>();
    const typeOf = Int32Array.from(grid.pools, (p) => {
      let id = ids.get(p.instanceType);
      if (id === undefined) {
        id = ids.size;
        ids.set(p.instanceType, id);
      }
      return id;
    });
    t = { typeOf, types: ids.size };
    typeIdCache.set(grid, t);
  }
  return t;
}

/** Karpenter: each hour, if at least 15 candidate instance types are strictly cheaper, move to the cheapest. */
export const karpenterPolicy: BacktestPolicy = {
  name: "karpenter",
  run: async (ctx) => {
    const { hours } = ctx.grid;
    const P = ctx.grid.pools.length;
    const byHour = pricesByHour(ctx.grid);
    const { typeOf, types } = typeIds(ctx.grid);
    // seenAt[type] = the (instance, hour) visit that last counted it: distinct types without clearing a set
    const seenAt = new Int32Array(types).fill(-1);
    let visit = 0;
    return ctx.instances.map((inst) => {
      const choice = new Int32Array(hours);
      const cand = inst.candidates;
      let cur = inst.startPool;
      for (let h = 0; h < hours; h++, visit++) {
        const row = h * P;
        const now = byHour[row + cur];
        let seen = 0;
        let best = -1;
        let bestPrice = Number.POSITIVE_INFINITY;
        for (let k = 0; k < cand.length; k++) {
          const p = cand[k];
          const v = byHour[row + p];
          if (!(v < now)) continue;
          const t = typeOf[p];
          if (seenAt[t] !== visit) {
            seenAt[t] = visit;
            seen++;
          }
          if (v < bestPrice) {
            bestPrice = v;
            best = p;
          }
        }
        if (best >= 0 && seen >= KARPENTER_MIN_TYPES) cur = best;
        choice[h] = cur;
      }
      return { initial: inst.startPool, choice };
    });
  },
};

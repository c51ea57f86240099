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
export const greedyPolicy: BacktestPolicy = {
  name: "greedy",
  run: async (ctx) =>
    listSchedules(ctx, (list) => {
      const { hours, price } = ctx.grid;
      const best = cheapestOf(ctx, list);
      return (h, cur) => {
        const b = best[h];
        return b >= 0 && price[b * hours + h] < price[cur * hours + h] ? b : cur;
      };
    }),
};

/**
 * Every instance's schedule: from its start pool, hour by hour, where `step` of its candidate list moves it (made
 * once per list, for the work the list's instances share).
 */
function listSchedules(
  ctx: SimContext,
  step: (list: CandidateList) => (hour: number, cur: number) => number,
): Schedule[] {
  const { hours } = ctx.grid;
  const out: Schedule[] = new Array(ctx.instances.length);
  for (const list of candidateLists(ctx)) {
    const next = step(list);
    for (const i of list.members) {
      const inst = ctx.instances[i];
      const choice = new Int32Array(hours);
      let cur = inst.startPool;
      for (let h = 0; h < hours; h++) {
        cur = next(h, cur);
        choice[h] = cur;
      }
      out[i] = { initial: inst.startPool, choice };
    }
  }
  return out;
}

/** Instances with one candidate list (fleet order), and the list's cheapest pool each hour, found once. */
interface CandidateList {
  candidates: Int32Array;
  members: number[];
  cheapest?: Int32Array;
}

const listCache = new WeakMap<SimContext, CandidateList[]>();

/** The fleet's instances grouped by candidate list, for the work a list shares (made once per context). */
function candidateLists(ctx: SimContext): CandidateList[] {
  let out = listCache.get(ctx);
  if (!out) {
    const lists = new Map<string, CandidateList>();
    ctx.instances.forEach((inst, i) => {
      const key = inst.candidates.join(",");
      const list = lists.get(key);
      if (list) list.members.push(i);
      else lists.set(key, { candidates: inst.candidates, members: [i] });
    });
    out = [...lists.values()];
    listCache.set(ctx, out);
  }
  return out;
}

/** cheapestByHour() of the list, made by the first policy that asks (greedy and karpenter both do). */
function cheapestOf(ctx: SimContext, list: CandidateList): Int32Array {
  list.cheapest ??= cheapestByHour(ctx, list.candidates);
  return list.cheapest;
}

/**
 * The cheapest of `pools` at every hour (cheapest(), ties to the first), for every instance with that candidate
 * list: read pool by pool along the pool-major grid, each pool's hours in one contiguous run.
 */
function cheapestByHour(ctx: SimContext, pools: Int32Array): Int32Array {
  const { hours, price } = ctx.grid;
  const best = new Int32Array(hours).fill(-1);
  const bestPrice = new Float64Array(hours).fill(Number.POSITIVE_INFINITY);
  for (const p of pools) {
    const base = p * hours;
    for (let h = 0; h < hours; h++) {
      const v = price[base + h];
      if (v < bestPrice[h]) {
        bestPrice[h] = v;
        best[h] = p;
      }
    }
  }
  return best;
}

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

/**
 * Karpenter: each hour, if at least 15 candidate instance types are strictly cheaper, move to the cheapest.
 * What a candidate list gives every instance with it is found once per hour: its cheapest pool (the target
 * whenever any pool is cheaper than the instance's) and each of its types' lowest price (a type is cheaper when
 * that is below the instance's price).
 */
export const karpenterPolicy: BacktestPolicy = {
  name: "karpenter",
  run: async (ctx) =>
    listSchedules(ctx, (list) => {
      const { hours, price, pools } = ctx.grid;
      const cand = list.candidates;
      // the list's types as slots 0..T-1, and each slot's lowest price per hour (+Infinity: none priced)
      const slotOfType = new Map<string, number>();
      const slot = Int32Array.from(cand, (p) => {
        let t = slotOfType.get(pools[p].instanceType);
        if (t === undefined) {
          t = slotOfType.size;
          slotOfType.set(pools[p].instanceType, t);
        }
        return t;
      });
      const T = slotOfType.size;
      // typeMin[slot * hours + h], filled pool by pool along the pool-major grid
      const typeMin = new Float64Array(T * hours).fill(Number.POSITIVE_INFINITY);
      for (let k = 0; k < cand.length; k++) {
        const base = cand[k] * hours;
        const at = slot[k] * hours;
        for (let h = 0; h < hours; h++) {
          const v = price[base + h];
          if (v < typeMin[at + h]) typeMin[at + h] = v;
        }
      }
      const best = cheapestOf(ctx, list);
      return (h, cur) => {
        const now = price[cur * hours + h];
        const b = best[h];
        if (!(b >= 0 && price[b * hours + h] < now)) return cur;
        let cheaper = 0;
        for (let t = h; t < T * hours; t += hours) if (typeMin[t] < now) cheaper++;
        return cheaper >= KARPENTER_MIN_TYPES ? b : cur;
      };
    }),
};

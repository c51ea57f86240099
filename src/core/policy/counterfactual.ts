/**
 * Counterfactual accounting: what a recommendation would have saved, realized on the prices that followed.
 * A price holds from its record until the next record of the same pool; before a pool's first record its
 * price is unknown and that stretch is left out of both legs (the result says how many hours were covered).
 */
import type { EpochMs, PoolKey, PricePoint } from "../types.js";
import { poolId } from "../types.js";

const HOUR_MS = 3_600_000;

/** One side of the comparison: a spot pool priced by its series, or a fixed price (on-demand). */
export type Leg = { pool: PoolKey } | { fixedPrice: number };

export interface CounterfactualInput {
  from: Leg;
  to: Leg;
  /** When the recommendation was made (the move would have happened then). */
  at: EpochMs;
  /** End of the window (exclusive). */
  until: EpochMs;
  /** Price series by pool id, sorted by ts; may start before `at` (the price in effect). */
  series: ReadonlyMap<string, readonly PricePoint[]>;
  /** Cost of the move itself, subtracted once from the saving. */
  switchCost?: number;
}

export interface CounterfactualResult {
  /** Length of the window, hours. */
  hours: number;
  /** Hours where both legs had a known price. */
  coveredHours: number;
  /** USD paid over the covered hours staying / after moving. */
  fromCost: number;
  toCost: number;
  /** fromCost - toCost. */
  grossSaving: number;
  switchCost: number;
  /** grossSaving - switchCost: what the recommendation would have saved. */
  netSaving: number;
  /** True when the whole window was covered. */
  complete: boolean;
}

/** Price in effect at `t`, or NaN before the first point. Binary search. */
export function priceAt(points: readonly PricePoint[], t: EpochMs): number {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].ts <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? Number.NaN : points[found].price;
}

/** Breakpoints of the piecewise-constant price of a leg inside (a, b). */
function breakpoints(leg: Leg, series: CounterfactualInput["series"], a: EpochMs, b: EpochMs): EpochMs[] {
  if ("fixedPrice" in leg) return [];
  const pts = series.get(poolId(leg.pool)) ?? [];
  const out: EpochMs[] = [];
  for (const p of pts) if (p.ts > a && p.ts < b) out.push(p.ts);
  return out;
}

function legPrice(leg: Leg, series: CounterfactualInput["series"], t: EpochMs): number {
  if ("fixedPrice" in leg) return leg.fixedPrice;
  return priceAt(series.get(poolId(leg.pool)) ?? [], t);
}

export function counterfactualSaving(input: CounterfactualInput): CounterfactualResult {
  const { at, until, series } = input;
  const switchCost = input.switchCost ?? 0;
  const hours = Math.max(0, (until - at) / HOUR_MS);
  const cuts = [
    ...new Set([at, ...breakpoints(input.from, series, at, until), ...breakpoints(input.to, series, at, until), until]),
  ].sort((x, y) => x - y);
  let covered = 0;
  let fromCost = 0;
  let toCost = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i];
    const len = (cuts[i + 1] - a) / HOUR_MS;
    if (len <= 0) continue;
    const pf = legPrice(input.from, series, a);
    const pt = legPrice(input.to, series, a);
    if (!Number.isFinite(pf) || !Number.isFinite(pt)) continue;
    covered += len;
    fromCost += pf * len;
    toCost += pt * len;
  }
  const grossSaving = fromCost - toCost;
  return {
    hours,
    coveredHours: covered,
    fromCost,
    toCost,
    grossSaving,
    switchCost,
    netSaving: grossSaving - switchCost,
    complete: hours > 0 && Math.abs(covered - hours) < 1e-9,
  };
}

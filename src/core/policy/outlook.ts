/**
 * The recent level of a pool's price, for PoolQuote.recentMean: an exponentially weighted mean of the
 * piecewise-constant price series in continuous time (a price held for Δ hours pulls the mean towards it by
 * 1 − 2^(−Δ / halfLife)), started at the first known price.
 */
import type { EpochMs, PricePoint } from "../types.js";

const HOUR_MS = 3_600_000;

/** NaN before the first point. `points` sorted by ts. */
export function priceEwma(points: readonly PricePoint[], now: EpochMs, halfLifeHours: number): number {
  let mean = Number.NaN;
  for (let i = 0; i < points.length && points[i].ts <= now; i++) {
    const p = points[i].price;
    if (Number.isNaN(mean)) mean = p;
    const end = i + 1 < points.length && points[i + 1].ts < now ? points[i + 1].ts : now;
    const hours = (end - points[i].ts) / HOUR_MS;
    if (hours > 0) mean += (1 - 2 ** (-hours / halfLifeHours)) * (p - mean);
  }
  return mean;
}

/**
 * priceEwma() at two half-lives in one pass over the points (the decide tick wants both for every pool), each
 * exactly what priceEwma() gives; `halfLifeB` ≤ 0 gives NaN for the second.
 */
export function priceEwmaPair(
  points: readonly PricePoint[],
  now: EpochMs,
  halfLifeA: number,
  halfLifeB: number,
): { a: number; b: number } {
  let a = Number.NaN;
  let b = Number.NaN;
  for (let i = 0; i < points.length && points[i].ts <= now; i++) {
    const p = points[i].price;
    if (Number.isNaN(a)) {
      a = p;
      b = p;
    }
    const end = i + 1 < points.length && points[i + 1].ts < now ? points[i + 1].ts : now;
    const hours = (end - points[i].ts) / HOUR_MS;
    if (hours > 0) {
      a += (1 - 2 ** (-hours / halfLifeA)) * (p - a);
      if (halfLifeB > 0) b += (1 - 2 ** (-hours / halfLifeB)) * (p - b);
    }
  }
  return { a, b: halfLifeB > 0 ? b : Number.NaN };
}

/** The same mean on hourly samples (the backtester's grid): m_h = m_{h-1} + (1 − 2^(−1/halfLife)) (p_h − m_{h-1}). */
export function hourlyEwma(prices: ArrayLike<number>, halfLifeHours: number, out: Float64Array, offset = 0): void {
  const a = 1 - 2 ** (-1 / halfLifeHours);
  let mean = Number.NaN;
  for (let h = 0; h < prices.length; h++) {
    const v = prices[h];
    if (!Number.isNaN(v)) mean = Number.isNaN(mean) ? v : mean + a * (v - mean);
    out[offset + h] = mean;
  }
}

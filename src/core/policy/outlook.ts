/**
 * The recent mean price of a pool, for PoolQuote.recentMean: the time-weighted mean of the piecewise-constant
 * price series over [now - hours, now], over the part of the window where the price is known.
 */
import type { EpochMs, PricePoint } from "../types.js";

const HOUR_MS = 3_600_000;

/** NaN when no price is known in the window. `points` sorted by ts; may start before the window. */
export function recentMeanPrice(points: readonly PricePoint[], now: EpochMs, hours: number): number {
  const from = now - hours * HOUR_MS;
  let weighted = 0;
  let known = 0;
  for (let i = 0; i < points.length; i++) {
    const a = Math.max(points[i].ts, from);
    const b = Math.min(i + 1 < points.length ? points[i + 1].ts : now, now);
    if (b <= a) continue;
    weighted += points[i].price * (b - a);
    known += b - a;
  }
  if (known === 0) {
    // a point exactly at `now` with nothing before: its price is the mean of a zero-length window
    const last = points.length > 0 ? points[points.length - 1] : undefined;
    return last && last.ts <= now && last.ts >= from ? last.price : Number.NaN;
  }
  return weighted / known;
}

/**
 * Pool liveness. AWS re-emits an unchanged spot price about once a day, so a pool with no record for several
 * days has most likely vanished (the type left that AZ). The feature contract keeps a price in effect until
 * the next record, so callers drop vanished pools from the candidates instead of trusting a stale price.
 */
import type { EpochMs, PricePoint } from "../types.js";

export const STALE_POOL_MS = 3 * 24 * 3_600_000;

/** Time of the last record at or before `now`, or null. */
export function lastSeen(points: readonly PricePoint[], now: EpochMs): EpochMs | null {
  for (let i = points.length - 1; i >= 0; i--) if (points[i].ts <= now) return points[i].ts;
  return null;
}

/** Splits pool ids into live ones and vanished ones (no record within `maxAgeMs` before `now`, or none at all). */
export function partitionLivePools(
  prices: Map<string, PricePoint[]>,
  now: EpochMs,
  maxAgeMs: number = STALE_POOL_MS,
): { live: string[]; vanished: string[] } {
  const live: string[] = [];
  const vanished: string[] = [];
  for (const [id, points] of prices) {
    const seen = lastSeen(points, now);
    if (seen !== null && now - seen <= maxAgeMs) live.push(id);
    else vanished.push(id);
  }
  return { live, vanished };
}

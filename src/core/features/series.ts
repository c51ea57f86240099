/**
 * Single-series helpers over sparse step series (AWS spot price semantics): a point holds from its `ts`
 * until the next point; before the first point the value is unknown; points after `t` are ignored.
 * Window statistics over [t - W, t] use only the known part of the window; with no known part they are NaN.
 * Every function takes points sorted by ts ascending (as MarketStore returns them).
 */
import type { EpochMs } from "../types.js";

export const HOUR_MS = 3_600_000;

export interface StepPoint {
  ts: EpochMs;
}

/** Index of the last point with ts <= t, or -1. Binary search. */
export function lastIndexAtOrBefore(points: readonly StepPoint[], t: EpochMs): number {
  let lo = 0;
  let hi = points.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].ts <= t) {
      ans = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return ans;
}

/** The value in effect at t (value of the last point with ts <= t), or NaN. */
export function valueAt<P extends StepPoint>(points: readonly P[], t: EpochMs, value: (p: P) => number): number {
  const j = lastIndexAtOrBefore(points, t);
  return j < 0 ? Number.NaN : value(points[j]);
}

/**
 * Calls `visit(value, durationMs)` for every piece of the known part of [t - windowMs, t], newest first,
 * and returns the known length in ms (0 when nothing is known).
 */
export function forEachSegment<P extends StepPoint>(
  points: readonly P[],
  t: EpochMs,
  windowMs: number,
  value: (p: P) => number,
  visit: (v: number, durationMs: number) => void,
): number {
  const j = lastIndexAtOrBefore(points, t);
  if (j < 0) return 0;
  const lo = t - windowMs;
  let known = 0;
  let end = t;
  for (let i = j; i >= 0; i--) {
    const p = points[i];
    const start = Math.max(p.ts, lo);
    const d = end - start;
    if (d > 0) {
      visit(value(p), d);
      known += d;
    }
    if (p.ts <= lo) break;
    end = p.ts;
  }
  return known;
}

/** Time-weighted mean over the known part of [t - windowMs, t]; NaN when nothing is known. */
export function timeWeightedMean<P extends StepPoint>(
  points: readonly P[],
  t: EpochMs,
  windowMs: number,
  value: (p: P) => number,
): number {
  let sum = 0;
  const known = forEachSegment(points, t, windowMs, value, (v, d) => {
    sum += v * d;
  });
  return known > 0 ? sum / known : Number.NaN;
}

/** Time-weighted population standard deviation over the known part of [t - windowMs, t]; NaN when nothing is known. */
export function timeWeightedStd<P extends StepPoint>(
  points: readonly P[],
  t: EpochMs,
  windowMs: number,
  value: (p: P) => number,
): number {
  const mean = timeWeightedMean(points, t, windowMs, value);
  if (Number.isNaN(mean)) return Number.NaN;
  let sq = 0;
  const known = forEachSegment(points, t, windowMs, value, (v, d) => {
    sq += (v - mean) * (v - mean) * d;
  });
  return Math.sqrt(sq / known);
}

/** Time-weighted std / time-weighted mean over [t - windowMs, t]; NaN when nothing is known or the mean is 0. */
export function timeWeightedCv<P extends StepPoint>(
  points: readonly P[],
  t: EpochMs,
  windowMs: number,
  value: (p: P) => number,
): number {
  const mean = timeWeightedMean(points, t, windowMs, value);
  if (Number.isNaN(mean) || mean === 0) return Number.NaN;
  return timeWeightedStd(points, t, windowMs, value) / mean;
}

/** Time-weighted fraction of the known part of [t - windowMs, t] where `pred(value)` holds; NaN when nothing is known. */
export function timeWeightedFraction<P extends StepPoint>(
  points: readonly P[],
  t: EpochMs,
  windowMs: number,
  value: (p: P) => number,
  pred: (v: number) => boolean,
): number {
  let hit = 0;
  const known = forEachSegment(points, t, windowMs, value, (v, d) => {
    if (pred(v)) hit += d;
  });
  return known > 0 ? hit / known : Number.NaN;
}

/**
 * Count of points with ts in (t - windowMs, t] whose value differs from the previous point's.
 * A point without a predecessor in `points` is not a change (it has nothing to differ from).
 * 0 when there are no such points; NaN when no point is at or before t (nothing known).
 */
export function countChanges<P extends StepPoint>(
  points: readonly P[],
  t: EpochMs,
  windowMs: number,
  value: (p: P) => number,
): number {
  const j = lastIndexAtOrBefore(points, t);
  if (j < 0) return Number.NaN;
  const lo = t - windowMs;
  let n = 0;
  for (let i = j; i >= 1; i--) {
    if (points[i].ts <= lo) break;
    if (value(points[i]) !== value(points[i - 1])) n++;
  }
  return n;
}

/**
 * Hours from the last point (ts <= t) whose value differs from its predecessor to t; the first point counts
 * as a change. Capped at `capHours`; NaN when no point is at or before t.
 */
export function hoursSinceChange<P extends StepPoint>(
  points: readonly P[],
  t: EpochMs,
  value: (p: P) => number,
  capHours: number,
): number {
  const j = lastIndexAtOrBefore(points, t);
  if (j < 0) return Number.NaN;
  let i = j;
  while (i > 0 && value(points[i]) === value(points[i - 1])) i--;
  return Math.min(capHours, (t - points[i].ts) / HOUR_MS);
}

/** Hour of the week of t in UTC, Monday 00:00 = 0 .. Sunday 23:00 = 167. */
export function hourOfWeek(t: EpochMs): number {
  // 1970-01-01 was a Thursday: Thursday 00:00 is hour 72 of a Monday-based week.
  const h = Math.floor(t / HOUR_MS) + 72;
  return ((h % 168) + 168) % 168;
}

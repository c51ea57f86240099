/**
 * Capacity-signal features 14..22 of the feature contract (cap_available_now .. cap_loss_events_24h),
 * computed from one pool's capacity series. Exported on its own so the Python twin (training/features.py)
 * can be checked for parity. Definitions follow the comments of contract.ts literally; docs/features.md
 * spells out the readings chosen where the comments leave room. With no observation at or before `now`
 * every capacity feature is NaN (the contract's "before the first point the value is unknown").
 */
import type { CapacityPoint, EpochMs } from "../types.js";
import { HOURS_CAP } from "./contract.js";
import { HOUR_MS, lastIndexAtOrBefore, timeWeightedFraction, valueAt } from "./series.js";

/** Index of the first capacity feature (cap_available_now) in FEATURE_NAMES. */
export const CAPACITY_FEATURE_OFFSET = 14;
export const CAPACITY_FEATURE_COUNT = 9;

const avail = (p: CapacityPoint): number => p.available;
const isZero = (v: number): boolean => v === 0;

/** Start index of the maximal run of equal `available` values that ends at index j. */
function runStart(points: readonly CapacityPoint[], j: number): number {
  let i = j;
  while (i > 0 && points[i - 1].available === points[j].available) i--;
  return i;
}

function hours(from: EpochMs, to: EpochMs): number {
  return Math.min(HOURS_CAP, (to - from) / HOUR_MS);
}

/**
 * Features 14..22 for the points (sorted by ts) of one pool at time `now`, in contract order:
 * cap_available_now, cap_unavail_frac_1h, _6h, _24h, _7d, hours_since_capacity_loss,
 * cap_available_run_hours, cap_unavailable_run_hours, cap_loss_events_24h.
 */
export function capacityFeatures(points: readonly CapacityPoint[], now: EpochMs): Float32Array {
  const out = new Float32Array(CAPACITY_FEATURE_COUNT);
  writeCapacityFeatures(points, now, out, 0);
  return out;
}

/** Writes the 9 capacity features into `out` from `offset` on (used by the matrix builder without allocating). */
export function writeCapacityFeatures(
  points: readonly CapacityPoint[],
  now: EpochMs,
  out: Float32Array,
  offset: number,
): void {
  const j = lastIndexAtOrBefore(points, now);
  if (j < 0) {
    // nothing observed at or before now: every capacity feature is unknown
    out.fill(Number.NaN, offset, offset + CAPACITY_FEATURE_COUNT);
    return;
  }
  out[offset] = valueAt(points, now, avail);
  out[offset + 1] = timeWeightedFraction(points, now, HOUR_MS, avail, isZero);
  out[offset + 2] = timeWeightedFraction(points, now, 6 * HOUR_MS, avail, isZero);
  out[offset + 3] = timeWeightedFraction(points, now, 24 * HOUR_MS, avail, isZero);
  out[offset + 4] = timeWeightedFraction(points, now, 7 * 24 * HOUR_MS, avail, isZero);
  out[offset + 5] = hoursSinceCapacityLoss(points, now, j);
  const start = points[runStart(points, j)].ts;
  const availableNow = points[j].available === 1;
  out[offset + 6] = availableNow ? hours(start, now) : 0;
  out[offset + 7] = availableNow ? 0 : hours(start, now);
  out[offset + 8] = lossEvents(points, now, 24 * HOUR_MS, j);
}

/** 0 when unavailable now; hours since the start of the last available=0 run; 720 when the history up to now has no 0. */
function hoursSinceCapacityLoss(points: readonly CapacityPoint[], now: EpochMs, j: number): number {
  if (points[j].available === 0) return 0;
  for (let i = j; i >= 0; i--) {
    if (points[i].available === 0) return hours(points[runStart(points, i)].ts, now);
  }
  return HOURS_CAP;
}

/** Points in (now - window, now] with available 0 whose predecessor had 1; a first point of 0 counts as one. */
function lossEvents(points: readonly CapacityPoint[], now: EpochMs, windowMs: number, j: number): number {
  const lo = now - windowMs;
  let n = 0;
  for (let i = j; i >= 0; i--) {
    if (points[i].ts <= lo) break;
    if (points[i].available === 0 && (i === 0 || points[i - 1].available === 1)) n++;
  }
  return n;
}

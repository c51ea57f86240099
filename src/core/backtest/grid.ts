/**
 * The hourly price grid of a backtest: for every pool and every hour of the replay, the price in effect
 * (the last record at or before the hour), NaN while the pool has no price yet (unavailable).
 */
import { CodedError } from "../errors.js";
import type { EpochMs, PoolKey, PriceRecord } from "../types.js";
import { poolId } from "../types.js";

export const HOUR_MS = 3_600_000;
/** Without --initial the replay starts this long after the first record (prices re-emit about daily). */
export const WARMUP_HOURS = 48;

export interface PriceGrid {
  /** Time of hour 0 (a whole UTC hour). */
  start: EpochMs;
  hours: number;
  pools: PoolKey[];
  ids: string[];
  index: Map<string, number>;
  /** price[pool * hours + hour], NaN = no price yet. */
  price: Float64Array;
  /**
   * The hours before `start` that the records cover (at most MAX_WARMUP_HOURS), for history-based inputs
   * such as the policy's price mean: warmupPrice[pool * warmupHours + k] is the price at
   * start − (warmupHours − k) hours. No policy acts in them.
   */
  warmupHours: number;
  warmupPrice: Float64Array;
  /** recordTs[pool * hours + hour]: time of the record in effect (NaN = none), for the policy's stale check. */
  recordTs?: Float64Array;
}

export const MAX_WARMUP_HOURS = 7 * 24;

const ceilHour = (t: EpochMs): EpochMs => Math.ceil(t / HOUR_MS) * HOUR_MS;

export interface GridOptions {
  /** Records in effect before the window; the replay then starts at the first hour of `records`. */
  initial?: readonly PriceRecord[];
}

export function buildPriceGrid(records: readonly PriceRecord[], opts: GridOptions = {}): PriceGrid {
  if (records.length === 0) {
    throw new CodedError("invalid_input", "no Linux/UNIX spot price records in the --prices files");
  }
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (r.ts < first) first = r.ts;
    if (r.ts > last) last = r.ts;
  }
  const hasInitial = (opts.initial?.length ?? 0) > 0;
  const start = ceilHour(hasInitial ? first : first + WARMUP_HOURS * HOUR_MS);
  if (start > last) {
    throw new CodedError(
      "invalid_input",
      `the price series spans less than the ${WARMUP_HOURS} h warm-up: give a longer series or --initial`,
    );
  }
  const hours = Math.floor((last - start) / HOUR_MS) + 1;
  const { ids, pools, offset, ts, value } = groupByPool(opts.initial ?? [], records);
  let earliest = first;
  for (const r of opts.initial ?? []) if (r.ts < earliest) earliest = r.ts;
  const warmupHours = Math.max(0, Math.min(MAX_WARMUP_HOURS, Math.floor((start - earliest) / HOUR_MS)));
  const warmupPrice = new Float64Array(ids.length * warmupHours).fill(Number.NaN);
  const price = new Float64Array(ids.length * hours).fill(Number.NaN);
  const recordTs = new Float64Array(ids.length * hours).fill(Number.NaN);
  const index = new Map<string, number>();
  for (let p = 0; p < ids.length; p++) {
    index.set(ids[p], p);
    // the pool's points are ts[offset[p] .. offset[p + 1]), sorted by time (ties: the later record last)
    const end = offset[p + 1];
    let k = offset[p] - 1;
    for (let w = 0; w < warmupHours; w++) {
      const t = start - (warmupHours - w) * HOUR_MS;
      while (k + 1 < end && ts[k + 1] <= t) k++;
      if (k >= offset[p]) warmupPrice[p * warmupHours + w] = value[k];
    }
    const base = p * hours;
    for (let h = 0; h < hours; h++) {
      const t = start + h * HOUR_MS;
      while (k + 1 < end && ts[k + 1] <= t) k++;
      if (k >= offset[p]) {
        price[base + h] = value[k];
        recordTs[base + h] = ts[k];
      }
    }
  }
  return { start, hours, pools, ids, index, price, warmupHours, warmupPrice, recordTs };
}

/**
 * The records (`initial` first) grouped by pool, pools sorted by id: pool p's points are ts/value[offset[p] ..
 * offset[p + 1]), sorted by time, records of the same time in the order given. Typed arrays, no object per record.
 */
function groupByPool(
  initial: readonly PriceRecord[],
  records: readonly PriceRecord[],
): { ids: string[]; pools: PoolKey[]; offset: Int32Array; ts: Float64Array; value: Float64Array } {
  const n = initial.length + records.length;
  const at = (i: number): PriceRecord => (i < initial.length ? initial[i] : records[i - initial.length]);
  // a number per pool in order of first appearance, then the pools' places in id order
  const seen = new Map<string, number>();
  const keys: PoolKey[] = [];
  const firstIds: string[] = [];
  const poolOf = new Int32Array(n);
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = at(i);
    const id = poolId(r);
    let p = seen.get(id);
    if (p === undefined) {
      p = keys.length;
      seen.set(id, p);
      keys.push({ region: r.region, az: r.az, instanceType: r.instanceType });
      firstIds.push(id);
      counts.push(0);
    }
    poolOf[i] = p;
    counts[p]++;
  }
  const order = [...firstIds.keys()].sort((a, b) => (firstIds[a] < firstIds[b] ? -1 : 1));
  const place = new Int32Array(order.length);
  order.forEach((p, q) => {
    place[p] = q;
  });
  const offset = new Int32Array(order.length + 1);
  for (let q = 0; q < order.length; q++) offset[q + 1] = offset[q] + counts[order[q]];
  const fill = offset.slice(0, order.length);
  const ts = new Float64Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = at(i);
    const j = fill[place[poolOf[i]]]++;
    ts[j] = r.ts;
    value[j] = r.price;
  }
  for (let q = 0; q < order.length; q++) sortSlice(ts, value, offset[q], offset[q + 1]);
  return { ids: order.map((p) => firstIds[p]), pools: order.map((p) => keys[p]), offset, ts, value };
}

/** Sorts ts/value[from .. to) by time, keeping the given order of equal times (already sorted: nothing to do). */
function sortSlice(ts: Float64Array, value: Float64Array, from: number, to: number): void {
  let sorted = true;
  for (let i = from + 1; i < to && sorted; i++) sorted = ts[i - 1] <= ts[i];
  if (sorted) return;
  const idx = Array.from({ length: to - from }, (_, k) => from + k).sort((a, b) => ts[a] - ts[b]);
  const t = idx.map((i) => ts[i]);
  const v = idx.map((i) => value[i]);
  ts.set(t, from);
  value.set(v, from);
}

const hourMajorCache = new WeakMap<PriceGrid, Float64Array>();

/**
 * A grid is not changed once built (the cache below relies on it).
 * The grid's prices laid out hour by hour (byHour[hour * pools + pool]), built once per grid and shared by
 * the oracle, whose per-hour loop over an instance's candidates then reads one contiguous row instead of striding
 * `hours` doubles between pools (a copy per instance, tried, was slower).
 */
export function pricesByHour(grid: PriceGrid): Float64Array {
  let out = hourMajorCache.get(grid);
  if (!out) {
    const { hours, price } = grid;
    const n = grid.pools.length;
    out = new Float64Array(n * hours);
    for (let p = 0; p < n; p++) {
      const base = p * hours;
      for (let h = 0; h < hours; h++) out[h * n + p] = price[base + h];
    }
    hourMajorCache.set(grid, out);
  }
  return out;
}

/**
 * A replay window over a price series: records before `from` become the initial records (in effect before
 * the window), records after `to` are dropped. Without `from` the window starts WARMUP_HOURS after the first
 * record (or at the first record with `initial`).
 */
export function splitWindow(
  prices: readonly PriceRecord[],
  initial: readonly PriceRecord[] | undefined,
  from: EpochMs | undefined,
  to: EpochMs | undefined,
): { window: PriceRecord[]; initial: PriceRecord[] | undefined } {
  const end = to ?? Number.POSITIVE_INFINITY;
  if (from === undefined) {
    return { window: prices.filter((r) => r.ts <= end), initial: initial ? [...initial] : undefined };
  }
  return {
    window: prices.filter((r) => r.ts >= from && r.ts <= end),
    initial: [...(initial ?? []), ...prices.filter((r) => r.ts < from)],
  };
}

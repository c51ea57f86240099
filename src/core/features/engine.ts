/**
 * The feature engine: the model input of one tick for thousands of pools, exactly as contract.ts and
 * docs/features.md define it. Pure: series in, row-major float32 matrix out. Missing values are NaN.
 */
import type { AdvisorTable, OnDemandTable } from "../market/tables.js";
import { tableKey } from "../market/tables.js";
import type { CapacityPoint, EpochMs, PoolKey, PricePoint } from "../types.js";
import { parsePoolId, poolId } from "../types.js";
import { CAPACITY_FEATURE_OFFSET, writeCapacityFeatures } from "./capacity.js";
import { FEATURE_COUNT, FEATURE_NAMES, HOURS_CAP } from "./contract.js";
import {
  countChanges,
  HOUR_MS,
  hourOfWeek,
  hoursSinceChange,
  timeWeightedCv,
  timeWeightedMean,
  valueAt,
} from "./series.js";

export interface FeatureInput {
  now: EpochMs;
  pools: PoolKey[];
  /** Price series per pool id, sorted by ts (as MarketStore.readPrices returns them). */
  prices: Map<string, PricePoint[]>;
  capacity: Map<string, CapacityPoint[]>;
  onDemand: OnDemandTable;
  advisor: AdvisorTable;
  /** Spot placement score (1..10) per pool id. */
  placement?: Map<string, number>;
  /** Pool ids the pool's workload could move to (same-AZ or cross-AZ candidates). */
  compatible?: (pool: PoolKey) => string[];
}

export interface FeatureMatrix {
  /** Row-major [rows, cols], rows in the order of `poolIds`. */
  matrix: Float32Array;
  rows: number;
  cols: number;
  poolIds: string[];
}

/** History to read for exact features (hours_since_price_change is capped at 720 h = 30 days). */
export const FEATURE_HISTORY_MS = HOURS_CAP * 3_600_000;

const price = (p: PricePoint): number => p.price;
const DAY_MS = 24 * HOUR_MS;
const EMPTY: never[] = [];

export const PRICE_FEATURES = {
  priceNow: (points: readonly PricePoint[], now: EpochMs): number => valueAt(points, now, price),
  changes: (points: readonly PricePoint[], now: EpochMs, windowMs: number): number =>
    countChanges(points, now, windowMs, price),
  cv: (points: readonly PricePoint[], now: EpochMs, windowMs: number): number =>
    timeWeightedCv(points, now, windowMs, price),
  trend: (points: readonly PricePoint[], now: EpochMs, windowMs: number): number =>
    valueAt(points, now, price) / timeWeightedMean(points, now, windowMs, price),
  hoursSinceChange: (points: readonly PricePoint[], now: EpochMs): number =>
    hoursSinceChange(points, now, price, HOURS_CAP),
};

/** Price in effect at `now` of every pool in `prices` (NaN when unknown), memoised for the tick. */
class PriceNow {
  private readonly cache = new Map<string, number>();
  constructor(
    private readonly prices: Map<string, PricePoint[]>,
    private readonly now: EpochMs,
  ) {}
  get(id: string): number {
    let v = this.cache.get(id);
    if (v === undefined) {
      v = valueAt(this.prices.get(id) ?? EMPTY, this.now, price);
      this.cache.set(id, v);
    }
    return v;
  }
}

/** Known prices now of every AZ of each (region, type), from every pool in `prices` and `pools`. */
function azPricesByType(input: FeatureInput, priceNow: PriceNow): Map<string, number[]> {
  const ids = new Set<string>(input.prices.keys());
  for (const p of input.pools) ids.add(poolId(p));
  const out = new Map<string, number[]>();
  for (const id of ids) {
    const v = priceNow.get(id);
    if (Number.isNaN(v)) continue;
    const k = parsePoolId(id);
    const key = tableKey(k.region, k.instanceType);
    const list = out.get(key);
    if (list) list.push(v);
    else out.set(key, [v]);
  }
  return out;
}

/** Builds the feature matrix of one tick. */
export function buildFeatureMatrix(input: FeatureInput): FeatureMatrix {
  const { now, pools } = input;
  const cols = FEATURE_COUNT;
  const matrix = new Float32Array(pools.length * cols);
  const poolIds = new Array<string>(pools.length);
  const priceNow = new PriceNow(input.prices, now);
  const azPrices = azPricesByType(input, priceNow);
  const how = hourOfWeek(now);

  for (let r = 0; r < pools.length; r++) {
    const pool = pools[r];
    const id = poolId(pool);
    poolIds[r] = id;
    const o = r * cols;
    const series = input.prices.get(id) ?? EMPTY;
    const p = priceNow.get(id);
    const key = tableKey(pool.region, pool.instanceType);
    const od = input.onDemand.get(key);

    matrix[o] = od !== undefined && od > 0 ? p / od : Number.NaN;
    matrix[o + 1] = PRICE_FEATURES.changes(series, now, HOUR_MS);
    matrix[o + 2] = PRICE_FEATURES.changes(series, now, DAY_MS);
    matrix[o + 3] = PRICE_FEATURES.changes(series, now, 7 * DAY_MS);
    matrix[o + 4] = PRICE_FEATURES.cv(series, now, DAY_MS);
    matrix[o + 5] = PRICE_FEATURES.cv(series, now, 7 * DAY_MS);
    matrix[o + 6] = PRICE_FEATURES.trend(series, now, DAY_MS);
    matrix[o + 7] = PRICE_FEATURES.hoursSinceChange(series, now);

    const siblings = azPrices.get(key);
    if (!Number.isNaN(p) && siblings) {
      let min = p;
      let below = 0;
      for (const s of siblings) {
        if (s < min) min = s;
        if (s < p) below++;
      }
      matrix[o + 8] = p / min;
      matrix[o + 9] = below;
    } else {
      matrix[o + 8] = Number.NaN;
      matrix[o + 9] = Number.NaN;
    }

    matrix[o + 10] = vsCheapestCompatible(input, pool, p, priceNow);

    const adv = input.advisor.get(key);
    matrix[o + 11] = adv ? adv.bucket : Number.NaN;
    matrix[o + 12] = adv ? adv.savingsPct : Number.NaN;
    matrix[o + 13] = input.placement?.get(id) ?? Number.NaN;

    writeCapacityFeatures(input.capacity.get(id) ?? EMPTY, now, matrix, o + CAPACITY_FEATURE_OFFSET);
    matrix[o + 23] = how;
  }
  return { matrix, rows: pools.length, cols, poolIds };
}

/** price now / min(price now) over the pool itself and the compatible pools with a known price now. */
function vsCheapestCompatible(input: FeatureInput, pool: PoolKey, p: number, priceNow: PriceNow): number {
  if (!input.compatible || Number.isNaN(p)) return Number.NaN;
  let min = p;
  for (const cid of input.compatible(pool)) {
    const v = priceNow.get(cid);
    if (v < min) min = v; // NaN compares false: unknown prices are skipped
  }
  return p / min;
}

/** One row as a name → value record (debugging, docs, the CLI). */
export function featureRow(m: FeatureMatrix, row: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let c = 0; c < m.cols; c++) out[FEATURE_NAMES[c]] = m.matrix[row * m.cols + c];
  return out;
}

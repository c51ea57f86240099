import type { CapacityEvent, CapacityPoint, EpochMs, PricePoint, PriceRecord } from "../types.js";

/**
 * History of the spot market, per pool (pool id = "region/az/type", see poolId()).
 * Redis in production (sorted sets, pipelined batch reads), an in-process map on the embedded default.
 * Writes are idempotent: the same record appended twice is stored once.
 */
/**
 * What an append did: `added` points are new or changed and still stored; `expired` points were older than the
 * retention window (counted back from now) and are not kept, except the one in effect at its start.
 */
export interface AppendResult {
  added: number;
  expired: number;
}

export interface MarketStore {
  appendPrices(records: PriceRecord[]): Promise<AppendResult>;
  appendCapacity(events: CapacityEvent[]): Promise<AppendResult>;
  /** Batch read of many pools in one round trip; points sorted by ts, from `since` (inclusive) on, plus the last point before `since` (the price in effect). */
  readPrices(poolIds: string[], since: EpochMs): Promise<Map<string, PricePoint[]>>;
  readCapacity(poolIds: string[], since: EpochMs): Promise<Map<string, CapacityPoint[]>>;
  /** Every pool that has price history, optionally only in one region. */
  listPools(region?: string): Promise<string[]>;
  getCursor(key: string): Promise<EpochMs | null>;
  setCursor(key: string, ts: EpochMs): Promise<void>;
  /** Drop points older than `before` (keeping the last one before it per pool). */
  prune(before: EpochMs): Promise<{ removed: number }>;
}

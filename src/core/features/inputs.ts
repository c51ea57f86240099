/** Reads what the feature engine needs for a tick from the market store: two batch reads, run concurrently. */
import type { MarketStore } from "../ports/market-store.js";
import type { CapacityPoint, EpochMs, PricePoint } from "../types.js";
import { FEATURE_HISTORY_MS } from "./engine.js";

export async function readFeatureSeries(
  store: MarketStore,
  poolIds: string[],
  now: EpochMs,
  historyMs: number = FEATURE_HISTORY_MS,
): Promise<{ prices: Map<string, PricePoint[]>; capacity: Map<string, CapacityPoint[]> }> {
  const since = now - historyMs;
  const [prices, capacity] = await Promise.all([store.readPrices(poolIds, since), store.readCapacity(poolIds, since)]);
  return { prices, capacity };
}

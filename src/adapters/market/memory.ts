/**
 * In-process MarketStore for the embedded default and tests: per-pool sorted arrays, same semantics as the
 * Redis adapter (one point per pool and ts, last write wins; retention relative to the pool's newest point,
 * keeping the point in effect at the cutoff).
 */
import type { MarketStore } from "../../core/ports/market-store.js";
import type { CapacityEvent, CapacityPoint, EpochMs, PricePoint, PriceRecord } from "../../core/types.js";
import { poolId } from "../../core/types.js";

export const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;

interface Series {
  ts: number[];
  v: number[];
}

/** First index with ts >= t. */
function lowerBound(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Upserts one point; true when the series changed. */
function upsert(s: Series, t: number, v: number): boolean {
  const i = lowerBound(s.ts, t);
  if (i < s.ts.length && s.ts[i] === t) {
    if (s.v[i] === v) return false;
    s.v[i] = v;
    return true;
  }
  s.ts.splice(i, 0, t);
  s.v.splice(i, 0, v);
  return true;
}

/** Drops points before `before` except the last one before it; returns how many were dropped. */
function dropBefore(s: Series, before: number): number {
  const keepFrom = lowerBound(s.ts, before) - 1;
  if (keepFrom <= 0) return 0;
  s.ts.splice(0, keepFrom);
  s.v.splice(0, keepFrom);
  return keepFrom;
}

/** Points from `since` on plus the last one before it. */
function readFrom(s: Series | undefined, since: number): Array<{ ts: number; v: number }> {
  if (!s) return [];
  const start = Math.max(0, lowerBound(s.ts, since) - 1);
  const out: Array<{ ts: number; v: number }> = [];
  for (let i = start; i < s.ts.length; i++) out.push({ ts: s.ts[i], v: s.v[i] });
  return out;
}

export class MemoryMarketStore implements MarketStore {
  private readonly prices = new Map<string, Series>();
  private readonly capacity = new Map<string, Series>();
  private readonly cursors = new Map<string, EpochMs>();

  constructor(private readonly options: { retentionMs?: number } = {}) {}

  private append(target: Map<string, Series>, items: Array<{ id: string; ts: number; v: number }>): number {
    let added = 0;
    const touched = new Set<Series>();
    for (const it of items) {
      let s = target.get(it.id);
      if (!s) {
        s = { ts: [], v: [] };
        target.set(it.id, s);
      }
      if (upsert(s, it.ts, it.v)) added++;
      touched.add(s);
    }
    const retention = this.options.retentionMs ?? DEFAULT_RETENTION_MS;
    if (retention > 0) for (const s of touched) dropBefore(s, s.ts[s.ts.length - 1] - retention);
    return added;
  }

  async appendPrices(records: PriceRecord[]): Promise<{ added: number }> {
    return {
      added: this.append(
        this.prices,
        records.map((r) => ({ id: poolId(r), ts: r.ts, v: r.price })),
      ),
    };
  }

  async appendCapacity(events: CapacityEvent[]): Promise<{ added: number }> {
    return {
      added: this.append(
        this.capacity,
        events.map((e) => ({ id: poolId(e), ts: e.ts, v: e.available })),
      ),
    };
  }

  async readPrices(poolIds: string[], since: EpochMs): Promise<Map<string, PricePoint[]>> {
    const out = new Map<string, PricePoint[]>();
    for (const id of poolIds) {
      out.set(
        id,
        readFrom(this.prices.get(id), since).map((p) => ({ ts: p.ts, price: p.v })),
      );
    }
    return out;
  }

  async readCapacity(poolIds: string[], since: EpochMs): Promise<Map<string, CapacityPoint[]>> {
    const out = new Map<string, CapacityPoint[]>();
    for (const id of poolIds) {
      out.set(
        id,
        readFrom(this.capacity.get(id), since).map((p) => ({ ts: p.ts, available: p.v === 0 ? 0 : 1 })),
      );
    }
    return out;
  }

  async listPools(region?: string): Promise<string[]> {
    const ids = [...this.prices.keys()].filter((id) => this.prices.get(id)?.ts.length);
    return (region ? ids.filter((id) => id.startsWith(`${region}/`)) : ids).sort();
  }

  async getCursor(key: string): Promise<EpochMs | null> {
    return this.cursors.get(key) ?? null;
  }

  async setCursor(key: string, ts: EpochMs): Promise<void> {
    this.cursors.set(key, ts);
  }

  async prune(before: EpochMs): Promise<{ removed: number }> {
    let removed = 0;
    for (const s of this.prices.values()) removed += dropBefore(s, before);
    for (const s of this.capacity.values()) removed += dropBefore(s, before);
    return { removed };
  }
}

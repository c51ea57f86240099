/**
 * In-process MarketStore for the embedded default and tests: per-pool sorted arrays, same semantics as the
 * Redis adapter (one point per pool and ts, last write wins; retention counted back from now, keeping the
 * point in effect at the cutoff).
 */
import type { AppendResult, MarketStore } from "../../core/ports/market-store.js";
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

  /**
   * `retentionMs`: points older than now minus this are dropped on write, keeping the one in effect then
   * (0 = keep all; default 30 days). `now`: the clock retention counts from (default the wall clock).
   */
  constructor(private readonly options: { retentionMs?: number; now?: () => EpochMs } = {}) {}

  private append(target: Map<string, Series>, items: Array<{ id: string; ts: number; v: number }>): AppendResult {
    const touched = new Map<Series, { changed: number[]; all: number[] }>();
    for (const it of items) {
      let s = target.get(it.id);
      if (!s) {
        s = { ts: [], v: [] };
        target.set(it.id, s);
      }
      let t = touched.get(s);
      if (!t) {
        t = { changed: [], all: [] };
        touched.set(s, t);
      }
      if (upsert(s, it.ts, it.v)) t.changed.push(it.ts);
      t.all.push(it.ts);
    }
    const retention = this.options.retentionMs ?? DEFAULT_RETENTION_MS;
    const cutoff = retention > 0 ? (this.options.now ?? Date.now)() - retention : Number.NEGATIVE_INFINITY;
    let added = 0;
    let expired = 0;
    for (const [s, t] of touched) {
      dropBefore(s, cutoff);
      const keepFrom = s.ts.length > 0 ? s.ts[0] : Number.POSITIVE_INFINITY;
      for (const ts of t.changed) if (ts >= keepFrom) added++;
      for (const ts of t.all) if (ts < keepFrom) expired++;
    }
    return { added, expired };
  }

  async appendPrices(records: PriceRecord[]): Promise<AppendResult> {
    return this.append(
      this.prices,
      records.map((r) => ({ id: poolId(r), ts: r.ts, v: r.price })),
    );
  }

  async appendCapacity(events: CapacityEvent[]): Promise<AppendResult> {
    return this.append(
      this.capacity,
      events.map((e) => ({ id: poolId(e), ts: e.ts, v: e.available })),
    );
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

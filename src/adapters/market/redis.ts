/**
 * MarketStore on Redis: one sorted set per pool and series (score = ts, member = "ts:value"), upserted by a
 * Lua script so a pool holds one point per ts (last write wins) and retention is counted back from now (not
 * from the pool's newest point, which one future-dated row would move), keeping the point in effect at the
 * cutoff. Batch reads of many pools go out as one
 * pipeline: one round trip whatever the number of pools.
 */
import type { Redis } from "ioredis";
import type { AppendResult, MarketStore } from "../../core/ports/market-store.js";
import type { CapacityEvent, CapacityPoint, EpochMs, PricePoint, PriceRecord } from "../../core/types.js";
import { poolId } from "../../core/types.js";
import { DEFAULT_RETENTION_MS } from "./memory.js";

/**
 * KEYS[1] = series; ARGV[1] = retention cutoff ts ('' = keep all); ARGV[2..] = ts, member pairs.
 * Returns { points new or changed and still stored, points older than the cutoff and not kept }.
 */
const UPSERT = `
local changed = {}
for i = 2, #ARGV, 2 do
  local ts = ARGV[i]
  local member = ARGV[i + 1]
  local same = false
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ts, ts)) do
    if m == member then same = true else redis.call('ZREM', KEYS[1], m) end
  end
  if not same then
    redis.call('ZADD', KEYS[1], ts, member)
    changed[#changed + 1] = tonumber(ts)
  end
end
local keepFrom = nil
if ARGV[1] ~= '' then
  local prev = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if prev[2] then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. prev[2])
    keepFrom = tonumber(prev[2])
  end
end
local added, expired = 0, 0
for _, t in ipairs(changed) do
  if keepFrom == nil or t >= keepFrom then added = added + 1 end
end
if keepFrom ~= nil then
  for i = 2, #ARGV, 2 do
    if tonumber(ARGV[i]) < keepFrom then expired = expired + 1 end
  end
end
return { added, expired }`;

/** KEYS[1] = series; ARGV[1] = before. Drops points before it except the last one. Returns how many. */
const PRUNE = `
local prev = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
if prev[2] then return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. prev[2]) end
return 0`;

const CHUNK = 500;

export interface RedisMarketStoreOptions {
  /** Key prefix, e.g. "spotwise:market:". */
  prefix?: string;
  /** Points older than now minus this are dropped on write, keeping the one in effect then (0 = keep all). Default 30 days. */
  retentionMs?: number;
  /** The clock retention counts back from (default the wall clock; the demo passes its simulated one). */
  now?: () => EpochMs;
}

type Kind = "price" | "cap";

function parseMember(m: string): { ts: number; v: number } {
  const at = m.indexOf(":");
  return { ts: Number(m.slice(0, at)), v: Number(m.slice(at + 1)) };
}

export class RedisMarketStore implements MarketStore {
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly now: () => EpochMs;

  constructor(
    private readonly redis: Redis,
    options: RedisMarketStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? "spotwise:market:";
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? Date.now;
  }

  private key(kind: Kind, id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }
  private poolsKey(kind: Kind): string {
    return `${this.prefix}pools:${kind}`;
  }

  private async append(kind: Kind, items: Array<{ id: string; ts: number; v: number }>): Promise<AppendResult> {
    if (items.length === 0) return { added: 0, expired: 0 };
    const cutoff = this.retentionMs > 0 ? String(Math.floor(this.now() - this.retentionMs)) : "";
    const byPool = new Map<string, string[]>();
    for (const it of items) {
      const args = byPool.get(it.id) ?? [];
      args.push(String(it.ts), `${it.ts}:${it.v}`);
      byPool.set(it.id, args);
    }
    const pipe = this.redis.pipeline();
    for (const [id, args] of byPool) {
      for (let i = 0; i < args.length; i += 2 * CHUNK) {
        pipe.eval(UPSERT, 1, this.key(kind, id), cutoff, ...args.slice(i, i + 2 * CHUNK));
      }
    }
    pipe.sadd(this.poolsKey(kind), ...byPool.keys());
    const results = (await pipe.exec()) ?? [];
    let added = 0;
    let expired = 0;
    for (let i = 0; i < results.length - 1; i++) {
      const [err, n] = results[i];
      if (err) throw err;
      const [a, x] = n as [number, number];
      added += Number(a);
      expired += Number(x);
    }
    const last = results[results.length - 1];
    if (last?.[0]) throw last[0];
    return { added, expired };
  }

  async appendPrices(records: PriceRecord[]): Promise<AppendResult> {
    return this.append(
      "price",
      records.map((r) => ({ id: poolId(r), ts: r.ts, v: r.price })),
    );
  }

  async appendCapacity(events: CapacityEvent[]): Promise<AppendResult> {
    return this.append(
      "cap",
      events.map((e) => ({ id: poolId(e), ts: e.ts, v: e.available })),
    );
  }

  /** One pipeline: for every pool the last point before `since` and every point from `since` on. */
  private async read(
    kind: Kind,
    poolIds: string[],
    since: EpochMs,
  ): Promise<Map<string, Array<{ ts: number; v: number }>>> {
    const out = new Map<string, Array<{ ts: number; v: number }>>();
    if (poolIds.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const id of poolIds) {
      const k = this.key(kind, id);
      pipe.zrevrangebyscore(k, `(${since}`, "-inf", "LIMIT", 0, 1);
      pipe.zrangebyscore(k, since, "+inf");
    }
    const results = (await pipe.exec()) ?? [];
    poolIds.forEach((id, i) => {
      const [e1, before] = results[2 * i];
      const [e2, from] = results[2 * i + 1];
      if (e1) throw e1;
      if (e2) throw e2;
      const points = [...(before as string[]), ...(from as string[])].map(parseMember);
      out.set(id, points);
    });
    return out;
  }

  async readPrices(poolIds: string[], since: EpochMs): Promise<Map<string, PricePoint[]>> {
    const raw = await this.read("price", poolIds, since);
    const out = new Map<string, PricePoint[]>();
    for (const [id, pts] of raw)
      out.set(
        id,
        pts.map((p) => ({ ts: p.ts, price: p.v })),
      );
    return out;
  }

  async readCapacity(poolIds: string[], since: EpochMs): Promise<Map<string, CapacityPoint[]>> {
    const raw = await this.read("cap", poolIds, since);
    const out = new Map<string, CapacityPoint[]>();
    for (const [id, pts] of raw)
      out.set(
        id,
        pts.map((p) => ({ ts: p.ts, available: p.v === 0 ? 0 : 1 })),
      );
    return out;
  }

  async listPools(region?: string): Promise<string[]> {
    const ids = await this.redis.smembers(this.poolsKey("price"));
    return (region ? ids.filter((id) => id.startsWith(`${region}/`)) : ids).sort();
  }

  async getCursor(key: string): Promise<EpochMs | null> {
    const v = await this.redis.get(`${this.prefix}cursor:${key}`);
    return v === null ? null : Number(v);
  }

  async setCursor(key: string, ts: EpochMs): Promise<void> {
    await this.redis.set(`${this.prefix}cursor:${key}`, String(ts));
  }

  async prune(before: EpochMs): Promise<{ removed: number }> {
    let removed = 0;
    for (const kind of ["price", "cap"] as const) {
      const ids = await this.redis.smembers(this.poolsKey(kind));
      for (let i = 0; i < ids.length; i += CHUNK) {
        const pipe = this.redis.pipeline();
        for (const id of ids.slice(i, i + CHUNK)) pipe.eval(PRUNE, 1, this.key(kind, id), String(before));
        for (const [err, n] of (await pipe.exec()) ?? []) {
          if (err) throw err;
          removed += Number(n);
        }
      }
    }
    return { removed };
  }
}

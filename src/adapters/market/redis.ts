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
-- one read of the batch's time range instead of one per point, one ZREM and one ZADD per batch
local lo, hi, loS, hiS = nil, nil, nil, nil
for i = 2, #ARGV, 2 do
  local t = tonumber(ARGV[i])
  if lo == nil or t < lo then lo = t; loS = ARGV[i] end
  if hi == nil or t > hi then hi = t; hiS = ARGV[i] end
end
local have = {}
if lo ~= nil then
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], loS, hiS)) do
    local ts = string.sub(m, 1, string.find(m, ':', 1, true) - 1)
    local list = have[ts]
    if list == nil then list = {}; have[ts] = list end
    list[#list + 1] = m
  end
end
local rem, add, addAt, changed = {}, {}, {}, {}
for i = 2, #ARGV, 2 do
  local ts = ARGV[i]
  local member = ARGV[i + 1]
  local list = have[ts]
  local same = false
  if list ~= nil then
    for _, m in ipairs(list) do
      if m == member then same = true else rem[#rem + 1] = m end
    end
  end
  if not same then
    local at = addAt[ts]
    if at ~= nil then
      add[at] = member
    else
      add[#add + 1] = ts
      add[#add + 1] = member
      addAt[ts] = #add
    end
    changed[#changed + 1] = tonumber(ts)
  end
  have[ts] = { member }
end
for i = 1, #rem, 500 do
  redis.call('ZREM', KEYS[1], unpack(rem, i, math.min(i + 499, #rem)))
end
for i = 1, #add, 1000 do
  redis.call('ZADD', KEYS[1], unpack(add, i, math.min(i + 999, #add)))
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

/**
 * KEYS = series; ARGV[1] = since. Per series one string: the point in effect at `since` and every point from
 * it on, members joined by ",". One command for a chunk of pools instead of two per pool: at 5,000 pools the
 * client's per-command cost, not Redis, was the read's time.
 */
const READ = `
local out = {}
for i, k in ipairs(KEYS) do
  local before = redis.call('ZREVRANGEBYSCORE', k, '(' .. ARGV[1], '-inf', 'LIMIT', 0, 1)
  local from = redis.call('ZRANGEBYSCORE', k, ARGV[1], '+inf')
  if before[1] then
    table.insert(from, 1, before[1])
  end
  out[i] = table.concat(from, ',')
end
return out`;

const CHUNK = 500;
/** Pools per READ call: bounds how long one script holds Redis (~1 ms per 100 pools of a month's history). */
const READ_CHUNK = 1_000;

export interface RedisMarketStoreOptions {
  /** Key prefix, e.g. "spotwise:market:". */
  prefix?: string;
  /** Points older than now minus this are dropped on write, keeping the one in effect then (0 = keep all). Default 30 days. */
  retentionMs?: number;
  /** The clock retention counts back from (default the wall clock; the demo passes its simulated one). */
  now?: () => EpochMs;
}

type Kind = "price" | "cap";

/**
 * The number written by `${n}` in s[from, end), read without cutting a substring: digits, one optional "." and
 * sign, as the integer of its digits over a power of ten (both exact doubles, so the one rounding of the division
 * gives exactly what Number() gives). Anything else (an exponent, more than 15 digits) goes through Number().
 */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

export function readNumber(s: string, from: number, end: number): number {
  let i = from;
  let neg = false;
  if (s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let scale = -1;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === 46 && scale < 0) scale = i;
    else return Number(s.slice(from, end));
  }
  if (digits === 0 || digits > 15) return Number(s.slice(from, end));
  const v = scale < 0 ? m : m / POW10[end - scale - 1];
  return neg ? -v : v;
}

/** "ts:value,ts:value,..." → points, one pass, no intermediate strings or arrays. */
function parseSeries<P>(s: string, point: (ts: number, v: number) => P): P[] {
  const out: P[] = [];
  let from = 0;
  while (from < s.length) {
    let end = s.indexOf(",", from);
    if (end < 0) end = s.length;
    const at = s.indexOf(":", from);
    out.push(point(readNumber(s, from, at), readNumber(s, at + 1, end)));
    from = end + 1;
  }
  return out;
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

  /**
   * One pipeline of READ scripts (a chunk of pools each): for every pool the last point before `since` and
   * every point from `since` on, parsed straight into the caller's point objects.
   */
  private async read<P>(
    kind: Kind,
    poolIds: string[],
    since: EpochMs,
    point: (ts: number, v: number) => P,
  ): Promise<Map<string, P[]>> {
    const out = new Map<string, P[]>();
    if (poolIds.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (let i = 0; i < poolIds.length; i += READ_CHUNK) {
      const keys = poolIds.slice(i, i + READ_CHUNK).map((id) => this.key(kind, id));
      pipe.eval(READ, keys.length, ...keys, String(since));
    }
    const results = (await pipe.exec()) ?? [];
    for (let c = 0; c < results.length; c++) {
      const [err, list] = results[c];
      if (err) throw err;
      const rows = list as string[];
      for (let j = 0; j < rows.length; j++) out.set(poolIds[c * READ_CHUNK + j], parseSeries(rows[j], point));
    }
    return out;
  }

  async readPrices(poolIds: string[], since: EpochMs): Promise<Map<string, PricePoint[]>> {
    return this.read("price", poolIds, since, (ts, price) => ({ ts, price }));
  }

  async readCapacity(poolIds: string[], since: EpochMs): Promise<Map<string, CapacityPoint[]>> {
    return this.read("cap", poolIds, since, (ts, v) => ({ ts, available: v === 0 ? 0 : 1 }));
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

/**
 * Redis implementations of the coordination ports (ioredis). Leases and idempotency keys use
 * SET NX PX plus compare-and-set Lua scripts, so several replicas agree on one owner.
 */
import type { Redis } from "ioredis";
import type { CacheStore, IdempotencyStore, LeaseStore } from "../../core/ports/kv.js";

const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const ACQUIRE = `local v = redis.call("get", KEYS[1])
if v == false then redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1 end
if v == ARGV[1] then redis.call("pexpire", KEYS[1], ARGV[2]) return 1 end
return 0`;

export class RedisLeaseStore implements LeaseStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "spotwise:lease:",
  ) {}
  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, this.prefix + key, owner, Math.ceil(ttlMs))) === 1;
  }
  async renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.prefix + key, owner, Math.ceil(ttlMs))) === 1;
  }
  async release(key: string, owner: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.prefix + key, owner)) === 1;
  }
  async holder(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }
}

const PENDING = "\u0000pending";

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "spotwise:idem:",
  ) {}
  async claim(key: string, ttlMs: number): Promise<{ claimed: true } | { claimed: false; result: string | null }> {
    const ok = await this.redis.set(this.prefix + key, PENDING, "PX", Math.ceil(ttlMs), "NX");
    if (ok === "OK") return { claimed: true };
    const current = await this.redis.get(this.prefix + key);
    return { claimed: false, result: current === null || current === PENDING ? null : current };
  }
  async complete(key: string, result: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, result, "PX", Math.ceil(ttlMs));
  }
}

export class RedisCacheStore implements CacheStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "spotwise:cache:",
  ) {}
  async get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, "PX", Math.ceil(ttlMs));
  }
  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}

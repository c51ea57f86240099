/**
 * In-process implementations of the coordination ports: the embedded default when no REDIS_URL is set.
 * Same semantics as the Redis adapters (one contract suite runs against both); time comes from `now`.
 */
import type { CacheStore, IdempotencyStore, LeaseStore } from "../../core/ports/kv.js";

type Now = () => number;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

class ExpiringMap<T> {
  private readonly map = new Map<string, Entry<T>>();
  constructor(private readonly now: Now) {}
  get(key: string): T | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: T, ttlMs: number): void {
    this.map.set(key, { value, expiresAt: this.now() + ttlMs });
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

export class MemoryLeaseStore implements LeaseStore {
  private readonly leases: ExpiringMap<string>;
  constructor(now: Now = Date.now) {
    this.leases = new ExpiringMap(now);
  }
  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = this.leases.get(key);
    if (current !== undefined && current !== owner) return false;
    this.leases.set(key, owner, ttlMs);
    return true;
  }
  async renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    if (this.leases.get(key) !== owner) return false;
    this.leases.set(key, owner, ttlMs);
    return true;
  }
  async release(key: string, owner: string): Promise<boolean> {
    if (this.leases.get(key) !== owner) return false;
    this.leases.delete(key);
    return true;
  }
  async holder(key: string): Promise<string | null> {
    return this.leases.get(key) ?? null;
  }
}

const PENDING = "\u0000pending";

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly keys: ExpiringMap<string>;
  constructor(now: Now = Date.now) {
    this.keys = new ExpiringMap(now);
  }
  async claim(key: string, ttlMs: number): Promise<{ claimed: true } | { claimed: false; result: string | null }> {
    const current = this.keys.get(key);
    if (current !== undefined) return { claimed: false, result: current === PENDING ? null : current };
    this.keys.set(key, PENDING, ttlMs);
    return { claimed: true };
  }
  async complete(key: string, result: string, ttlMs: number): Promise<void> {
    this.keys.set(key, result, ttlMs);
  }
}

export class MemoryCacheStore implements CacheStore {
  private readonly values: ExpiringMap<string>;
  constructor(now: Now = Date.now) {
    this.values = new ExpiringMap(now);
  }
  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.values.set(key, value, ttlMs);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

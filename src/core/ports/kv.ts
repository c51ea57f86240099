/**
 * Coordination ports backed by Redis in production and by in-process maps on the embedded default.
 * One contract test suite runs against both adapters.
 */

/** Exclusive, expiring ownership of a key (a per-instance switch lease, a cron fire). */
export interface LeaseStore {
  /** Acquire `key` for `owner` for `ttlMs`; true when acquired (or already held by the same owner, then renewed). */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extend a held lease; false when it is no longer ours. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Release only if we still hold it. */
  release(key: string, owner: string): Promise<boolean>;
  holder(key: string): Promise<string | null>;
}

/**
 * Idempotency keys: the first caller of `claim` wins and may later `complete` with a result;
 * every later caller sees the existing record instead.
 */
export interface IdempotencyStore {
  claim(key: string, ttlMs: number): Promise<{ claimed: true } | { claimed: false; result: string | null }>;
  complete(key: string, result: string, ttlMs: number): Promise<void>;
}

/** Small shared cache with TTL (user group members, placement scores, STS-free lookups). */
export interface CacheStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * One contract suite for the coordination ports, run against the in-process and the Redis adapters.
 * `make` gets a unique namespace per test so runs against a shared Redis never collide.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CacheStore, IdempotencyStore, LeaseStore } from "../../src/core/ports/kv.js";

export interface KvStores {
  leases: LeaseStore;
  idempotency: IdempotencyStore;
  cache: CacheStore;
  /** Lets time pass (real wait for Redis, a clock move for the in-process adapters). */
  elapse(ms: number): Promise<void>;
}

export function kvContract(name: string, make: () => Promise<KvStores>): void {
  describe(`kv contract: ${name}`, () => {
    const key = () => `k-${randomUUID()}`;

    it("grants a lease to one owner at a time and lets the holder renew and release it", async () => {
      const { leases } = await make();
      const k = key();
      expect(await leases.acquire(k, "a", 5_000)).toBe(true);
      expect(await leases.acquire(k, "b", 5_000)).toBe(false);
      expect(await leases.acquire(k, "a", 5_000)).toBe(true);
      expect(await leases.holder(k)).toBe("a");
      expect(await leases.renew(k, "b", 5_000)).toBe(false);
      expect(await leases.renew(k, "a", 5_000)).toBe(true);
      expect(await leases.release(k, "b")).toBe(false);
      expect(await leases.holder(k)).toBe("a");
      expect(await leases.release(k, "a")).toBe(true);
      expect(await leases.holder(k)).toBeNull();
      expect(await leases.acquire(k, "b", 5_000)).toBe(true);
    });

    it("lets a lease expire so another owner can take it", async () => {
      const s = await make();
      const k = key();
      expect(await s.leases.acquire(k, "a", 50)).toBe(true);
      await s.elapse(120);
      expect(await s.leases.holder(k)).toBeNull();
      expect(await s.leases.renew(k, "a", 50)).toBe(false);
      expect(await s.leases.acquire(k, "b", 5_000)).toBe(true);
    });

    it("gives exactly one of many concurrent claimers the lease", async () => {
      const { leases } = await make();
      const k = key();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => leases.acquire(k, `o${i}`, 5_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("lets the first idempotency claim win and shows later callers the result", async () => {
      const { idempotency } = await make();
      const k = key();
      const claims = await Promise.all(Array.from({ length: 10 }, () => idempotency.claim(k, 5_000)));
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
      expect(await idempotency.claim(k, 5_000)).toEqual({ claimed: false, result: null });
      await idempotency.complete(k, "done:42", 5_000);
      expect(await idempotency.claim(k, 5_000)).toEqual({ claimed: false, result: "done:42" });
    });

    it("forgets an idempotency key after its ttl", async () => {
      const s = await make();
      const k = key();
      expect((await s.idempotency.claim(k, 50)).claimed).toBe(true);
      await s.elapse(120);
      expect((await s.idempotency.claim(k, 5_000)).claimed).toBe(true);
    });

    it("caches values until they expire or are deleted", async () => {
      const s = await make();
      const k = key();
      expect(await s.cache.get(k)).toBeNull();
      await s.cache.set(k, "v1", 5_000);
      expect(await s.cache.get(k)).toBe("v1");
      await s.cache.set(k, "v2", 50);
      await s.elapse(120);
      expect(await s.cache.get(k)).toBeNull();
      await s.cache.set(k, "v3", 5_000);
      await s.cache.delete(k);
      expect(await s.cache.get(k)).toBeNull();
    });
  });
}

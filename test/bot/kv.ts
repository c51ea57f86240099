/**
 * Coordination stores for one bot replica in tests: Redis when REDIS_URL is set (one connection per replica,
 * a prefix shared by the replicas of one test), in-process maps shared by the replicas otherwise.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { MemoryCacheStore, MemoryIdempotencyStore } from "../../src/adapters/kv/memory.js";
import { RedisCacheStore, RedisIdempotencyStore } from "../../src/adapters/kv/redis.js";
import type { CacheStore, IdempotencyStore } from "../../src/core/ports/kv.js";
import { redisUrl } from "../support/services.js";

export interface ReplicaKv {
  kv: { idempotency: IdempotencyStore; cache: CacheStore };
  close(): Promise<void>;
}

export function replicaKvFactory(): { backend: "redis" | "memory"; replica(): ReplicaKv } {
  const url = redisUrl();
  if (!url) {
    const shared = { idempotency: new MemoryIdempotencyStore(), cache: new MemoryCacheStore() };
    return { backend: "memory", replica: () => ({ kv: shared, close: async () => {} }) };
  }
  const prefix = `spotwise:test:${randomUUID()}:`;
  return {
    backend: "redis",
    replica() {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      return {
        kv: {
          idempotency: new RedisIdempotencyStore(redis, `${prefix}idem:`),
          cache: new RedisCacheStore(redis, `${prefix}cache:`),
        },
        close: async () => {
          await redis.quit();
        },
      };
    },
  };
}

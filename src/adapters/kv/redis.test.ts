import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { kvContract } from "../../../test/adapters/kv-contract.js";
import { redisUrl } from "../../../test/support/services.js";
import { LeaseRunCoordinator } from "./coordinator.js";
import { RedisCacheStore, RedisIdempotencyStore, RedisLeaseStore } from "./redis.js";

const url = redisUrl();

describe.runIf(url)("redis adapters (real Redis)", () => {
  const redis = new Redis(url ?? "", { lazyConnect: false, maxRetriesPerRequest: 1 });
  const prefix = `spotwise-test:${randomUUID()}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  kvContract("redis", async () => ({
    leases: new RedisLeaseStore(redis, `${prefix}lease:`),
    idempotency: new RedisIdempotencyStore(redis, `${prefix}idem:`),
    cache: new RedisCacheStore(redis, `${prefix}cache:`),
    elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
  }));

  it("elects one of two replicas per cron fire", async () => {
    const leases = new RedisLeaseStore(redis, `${prefix}lease:`);
    const a = new LeaseRunCoordinator(leases, "replica-a");
    const b = new LeaseRunCoordinator(leases, "replica-b");
    const fires = ["decide:2026-01-01T00:00:00.000Z", "decide:2026-01-01T00:15:00.000Z"];
    for (const fire of fires) {
      const votes = await Promise.all([a.shouldRun(fire, 10_000), b.shouldRun(fire, 10_000)]);
      expect(votes.filter(Boolean)).toHaveLength(1);
    }
  });
});

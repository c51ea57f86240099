import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisUrl } from "../../../test/support/services.js";
import { marketStoreContract } from "./contract.js";
import { RedisMarketStore } from "./redis.js";

const url = redisUrl();

describe.runIf(url)("RedisMarketStore (real Redis)", () => {
  const redis = new Redis(url ?? "", { maxRetriesPerRequest: 1 });
  const run = `spotwise-test:${randomUUID()}:`;
  let n = 0;
  afterAll(async () => {
    const keys = await redis.keys(`${run}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  marketStoreContract("redis", async (options) => new RedisMarketStore(redis, { prefix: `${run}${n++}:`, ...options }));

  it("reads many pools with one pipeline and no other command (one round trip)", async () => {
    const calls: string[] = [];
    const counting = new Proxy(redis, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return v.apply(target, args);
        };
      },
    });
    const store = new RedisMarketStore(counting, { prefix: `${run}rt:` });
    await store.appendPrices([{ region: "us-east-1", az: "us-east-1a", instanceType: "m5.large", ts: 1, price: 0.1 }]);
    calls.length = 0;
    const ids = Array.from({ length: 500 }, (_, i) => `us-east-1/us-east-1a/t${i}.large`);
    ids.push("us-east-1/us-east-1a/m5.large");
    const got = await store.readPrices(ids, 0);
    expect(calls).toEqual(["pipeline"]);
    expect(got.get("us-east-1/us-east-1a/m5.large")).toEqual([{ ts: 1, price: 0.1 }]);
  });
});

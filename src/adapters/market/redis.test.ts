import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { marketStoreContract } from "../../../test/adapters/market-contract.js";
import { FakeSpotMarket } from "../../../test/core/fake-spot-market.js";
import { redisUrl } from "../../../test/support/services.js";
import { silentLogger } from "../../core/market/log.js";
import { SpotPriceScraper, spotCursorKey } from "../../core/market/scraper.js";
import { ManualClock } from "../../core/ports/clock.js";
import { RedisMarketStore, readNumber } from "./redis.js";

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

  it("backs a scraper that crashes mid-scrape and resumes without losing a record", async () => {
    const H = 3_600_000;
    const now = Date.parse("2026-01-17T00:00:00Z");
    const fake = new FakeSpotMarket();
    for (let i = 0; i < 30; i++) {
      for (let t = now - 8 * 24 * H + i * 60_000 + 1; t < now; t += 3 * H) {
        fake.records.push({
          region: "us-east-1",
          az: "us-east-1a",
          instanceType: `m5.x${i}`,
          ts: t,
          price: 0.1 + (t % 7) / 100,
        });
      }
    }
    const store = new RedisMarketStore(redis, { prefix: `${run}scrape:`, retentionMs: 0 });
    const make = () =>
      new SpotPriceScraper({ store, clock: new ManualClock(now), log: silentLogger, options: { pageSize: 100 } });
    fake.failAfterCalls = 5;
    const crashed = await make().scrape([fake.port()]);
    expect(crashed.regions[0].error?.code).toBe("aws_error");
    const cursor = await store.getCursor(spotCursorKey("123456789012", "us-east-1"));
    expect(cursor).not.toBeNull();
    fake.failAfterCalls = null;
    const resumed = await make().scrape([fake.port()]);
    expect(resumed.regions[0].error).toBeUndefined();
    const ids = await store.listPools("us-east-1");
    const got = await store.readPrices(ids, 0);
    const total = [...got.values()].reduce((s, p) => s + p.length, 0);
    // every record from now-7d on, plus the one in effect at now-7d, per pool
    const expected = fake.records.filter((r) => r.ts >= now - 7 * 24 * H).length + 30;
    expect(total).toBe(expected);
  });
});

describe("readNumber (the read's number parser)", () => {
  it("reads every number as Number() does: prices, timestamps, exponents, signs, long fractions", () => {
    const samples = [
      "0",
      "1",
      "0.1",
      "0.0123",
      "3.0600",
      "0.30000000000000004",
      "1e-7",
      "1.5e+21",
      "-0.25",
      "1619827200000",
      "123456789012345",
      "1234567890123456",
      "0.1234567890123456789",
      "26.4400",
      "-0",
      "7.",
      ".5",
    ];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 20_000; i++) {
      const v = rnd() * 10 ** Math.floor(rnd() * 6 - 3);
      samples.push(`${v}`, v.toFixed(4), v.toPrecision(1 + Math.floor(rnd() * 15)));
    }
    for (const s of samples) {
      const text = `x${s},`;
      expect(Object.is(readNumber(text, 1, text.length - 1), Number(s)), s).toBe(true);
    }
  });
});

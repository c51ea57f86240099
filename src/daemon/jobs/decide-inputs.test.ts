/**
 * What the decide tick carries across ticks gives what a fresh computation gives: the market read ahead (the
 * last tick's pools) plus the pools that came into play equals one read of the pools in play, and the
 * candidates kept per shape follow a change of the pool set.
 */
import { describe, expect, it } from "vitest";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { loadCatalog } from "../../adapters/tables/index.js";
import { readFeatureSeries } from "../../core/features/inputs.js";
import { CandidateIndex, CompatibleTypes, DEFAULT_POLICY_SETTINGS } from "../../core/policy/index.js";
import type { ManagedInstance, PriceRecord } from "../../core/types.js";
import { parsePoolId } from "../../core/types.js";
import { DecideInputs } from "./decide-inputs.js";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 20);

function record(az: string, instanceType: string, hoursAgo: number, price: number): PriceRecord {
  return { ts: NOW - hoursAgo * HOUR, region: "us-east-1", az, instanceType, price };
}

function instance(id: string, az: string, instanceType: string, azFlexible: boolean): ManagedInstance {
  return {
    instanceId: id,
    accountId: "111111111111",
    region: "us-east-1",
    az,
    instanceType,
    lifecycle: "spot",
    azFlexible,
    tags: {},
  };
}

describe("decide inputs carried across ticks", () => {
  it("the read ahead plus the pools new in play is one fresh read of the pools in play; a failed read ahead is read again", async () => {
    const market = new MemoryMarketStore({ retentionMs: 0 });
    await market.appendPrices([
      record("us-east-1a", "m5.large", 30, 0.05),
      record("us-east-1a", "m5.large", 2, 0.04),
      record("us-east-1b", "m5.large", 5, 0.03),
      record("us-east-1a", "m5a.large", 3, 0.035),
    ]);
    await market.appendCapacity([
      {
        ts: NOW - HOUR,
        region: "us-east-1",
        az: "us-east-1a",
        instanceType: "m5.large",
        available: 1,
        source: "launch-ok",
      },
    ]);
    const inputs = new DecideInputs(new CompatibleTypes(await loadCatalog(), DEFAULT_POLICY_SETTINGS));
    const first = ["us-east-1/us-east-1a/m5.large", "us-east-1/us-east-1b/m5.large"];
    // the first tick reads all it needs (nothing was in play before)
    expect(await inputs.readAhead(market, NOW)).toBeNull();
    await inputs.series(market, first, NOW, Promise.resolve(null));
    // the next tick: one pool more in play, a price arrived meanwhile
    await market.appendPrices([record("us-east-1b", "m5.large", 1, 0.02)]);
    const ahead = inputs.readAhead(market, NOW);
    const next = [...first, "us-east-1/us-east-1a/m5a.large"];
    const got = await inputs.series(market, next, NOW, ahead);
    const fresh = await readFeatureSeries(market, next, NOW);
    for (const id of next) {
      expect(got.prices.get(id)).toEqual(fresh.prices.get(id));
      expect(got.capacity.get(id)).toEqual(fresh.capacity.get(id));
    }
    expect(got.prices.get("us-east-1/us-east-1b/m5.large")?.at(-1)?.price).toBe(0.02);
    // a read ahead that fails (Redis away for a moment) resolves to nothing, and the tick reads again
    const broken = new Proxy(market, {
      get(target, prop) {
        if (prop === "readPrices") return async () => Promise.reject(new Error("ECONNRESET"));
        return Reflect.get(target, prop);
      },
    });
    const failed = inputs.readAhead(broken, NOW);
    expect(await failed).toBeNull();
    const again = await inputs.series(market, next, NOW, failed);
    for (const id of next) expect(again.prices.get(id)).toEqual(fresh.prices.get(id));
  });

  it("candidates per shape equal a fresh index's, and follow a change of the pool set", async () => {
    const market = new MemoryMarketStore({ retentionMs: 0 });
    await market.appendPrices([
      record("us-east-1a", "m5.large", 2, 0.04),
      record("us-east-1b", "m5.large", 2, 0.03),
      record("us-east-1a", "m5a.large", 2, 0.035),
    ]);
    const types = new CompatibleTypes(await loadCatalog(), DEFAULT_POLICY_SETTINGS);
    const inputs = new DecideInputs(types);
    const fleet = [
      instance("i-1", "us-east-1a", "m5.large", true),
      instance("i-2", "us-east-1a", "m5.large", true),
      instance("i-3", "us-east-1a", "m5.large", false),
    ];
    const subnets = () => new Set(["us-east-1a", "us-east-1b"]);
    const expected = async () => {
      const index = new CandidateIndex((await market.listPools("us-east-1")).map(parsePoolId), types);
      return fleet.map((i) => index.entries({ instance: i, subnetAzs: subnets() }).map((e) => e.id));
    };
    const one = await inputs.candidates(market, fleet, subnets);
    expect(one[0]).toBe(one[1]);
    expect(one.map((s) => s.candidates.entries.map((e) => e.id))).toEqual(await expected());
    expect(one[0].candidates.entries.map((e) => e.id)).toContain("us-east-1/us-east-1b/m5.large");
    expect(one[2].candidates.entries.map((e) => e.id)).not.toContain("us-east-1/us-east-1b/m5.large");
    // the same pools (listed ahead, before the fleet is known): the same lists are kept
    const two = await inputs.candidates(market, fleet, subnets, inputs.listAhead(market, ["us-east-1", "eu-west-1"]));
    expect(two[0]).toBe(one[0]);
    // a pool appears: the candidates take it in
    await market.appendPrices([record("us-east-1b", "m5a.large", 1, 0.02)]);
    // a listing ahead that failed is listed again
    const broken = new Proxy(market, {
      get(target, prop) {
        if (prop === "listPools") return async () => Promise.reject(new Error("ECONNRESET"));
        return Reflect.get(target, prop);
      },
    });
    const three = await inputs.candidates(market, fleet, subnets, inputs.listAhead(broken, ["us-east-1"]));
    expect(three.map((s) => s.candidates.entries.map((e) => e.id))).toEqual(await expected());
    expect(three[0].candidates.entries.map((e) => e.id)).toContain("us-east-1/us-east-1b/m5a.large");
  });
});

/**
 * One contract suite for MarketStore, run against the in-process and the Redis adapter. `make` gets called per
 * test and must return an empty store (a fresh key prefix on Redis) with the given retention.
 */
import { describe, expect, it } from "vitest";
import type { MarketStore } from "../../src/core/ports/market-store.js";
import type { CapacityEvent, PriceRecord } from "../../src/core/types.js";

const H = 3_600_000;
const T0 = Date.parse("2020-01-14T00:00:00Z");
const b = { region: "us-east-1", az: "us-east-1b", instanceType: "p3.2xlarge" };
const f = { region: "us-east-1", az: "us-east-1f", instanceType: "p3.2xlarge" };
const w = { region: "eu-west-2", az: "eu-west-2a", instanceType: "p3.2xlarge" };
const B = "us-east-1/us-east-1b/p3.2xlarge";
const F = "us-east-1/us-east-1f/p3.2xlarge";
const W = "eu-west-2/eu-west-2a/p3.2xlarge";
// real records of the GPU slice (src/core/features/fixtures/gpu-slice.csv)
const records: PriceRecord[] = [
  { ...b, ts: Date.parse("2020-01-14T03:56:09Z"), price: 1.0957 },
  { ...b, ts: Date.parse("2020-01-14T10:06:32Z"), price: 1.1019 },
  { ...b, ts: Date.parse("2020-01-14T17:34:40Z"), price: 1.0982 },
  { ...f, ts: Date.parse("2020-01-14T04:46:54Z"), price: 0.9415 },
  { ...w, ts: Date.parse("2020-01-14T12:32:17Z"), price: 1.0767 },
];

export function marketStoreContract(
  name: string,
  makeStore: (options?: { retentionMs?: number; now?: () => number }) => Promise<MarketStore>,
): void {
  // the records are from 2020: the store's clock is set a day after them unless a test sets it
  const make = (options: { retentionMs?: number; now?: () => number } = {}) =>
    makeStore({ now: () => T0 + 24 * H, ...options });
  describe(`MarketStore contract: ${name}`, () => {
    it("stores prices sorted per pool and reads many pools at once, with the price in effect at `since`", async () => {
      const s = await make();
      expect(await s.appendPrices([...records].reverse())).toEqual({ added: 5, expired: 0 });
      const got = await s.readPrices([B, F, W, "us-east-1/us-east-1a/p3.2xlarge"], T0 + 8 * H);
      expect(got.get(B)).toEqual([
        { ts: Date.parse("2020-01-14T03:56:09Z"), price: 1.0957 }, // in effect at since
        { ts: Date.parse("2020-01-14T10:06:32Z"), price: 1.1019 },
        { ts: Date.parse("2020-01-14T17:34:40Z"), price: 1.0982 },
      ]);
      expect(got.get(F)).toEqual([{ ts: Date.parse("2020-01-14T04:46:54Z"), price: 0.9415 }]);
      expect(got.get(W)).toEqual([{ ts: Date.parse("2020-01-14T12:32:17Z"), price: 1.0767 }]);
      expect(got.get("us-east-1/us-east-1a/p3.2xlarge")).toEqual([]);
      // since exactly at a point: that point, no earlier one
      const at = await s.readPrices([B], Date.parse("2020-01-14T10:06:32Z"));
      expect(at.get(B)?.map((p) => p.price)).toEqual([1.0957, 1.1019, 1.0982]);
    });

    it("is idempotent: the same record twice is stored once; a corrected price replaces the old one", async () => {
      const s = await make();
      await s.appendPrices(records);
      expect(await s.appendPrices(records)).toEqual({ added: 0, expired: 0 });
      expect(await s.appendPrices([{ ...records[0], price: 1.2 }])).toEqual({ added: 1, expired: 0 });
      const got = await s.readPrices([B], 0);
      expect(got.get(B)?.map((p) => p.price)).toEqual([1.2, 1.1019, 1.0982]);
    });

    it("lists pools, optionally per region", async () => {
      const s = await make();
      expect(await s.listPools()).toEqual([]);
      await s.appendPrices(records);
      expect(await s.listPools()).toEqual([W, B, F]);
      expect(await s.listPools("us-east-1")).toEqual([B, F]);
      expect(await s.listPools("sa-east-1")).toEqual([]);
    });

    it("keeps capacity series apart from prices", async () => {
      const s = await make();
      const events: CapacityEvent[] = [
        { ...b, ts: T0, available: 1, source: "launch-ok" },
        { ...b, ts: T0 + 5 * H, available: 0, source: "interruption-warning" },
        { ...b, ts: T0 + 5 * H, available: 0, source: "terminated-by-aws" },
      ];
      expect(await s.appendCapacity(events)).toEqual({ added: 2, expired: 0 });
      const got = await s.readCapacity([B, F], T0 + H);
      expect(got.get(B)).toEqual([
        { ts: T0, available: 1 },
        { ts: T0 + 5 * H, available: 0 },
      ]);
      expect(got.get(F)).toEqual([]);
      expect((await s.readPrices([B], 0)).get(B)).toEqual([]);
      expect(await s.listPools()).toEqual([]);
    });

    it("keeps cursors", async () => {
      const s = await make();
      expect(await s.getCursor("spot:123456789012:us-east-1")).toBeNull();
      await s.setCursor("spot:123456789012:us-east-1", T0);
      await s.setCursor("spot:123456789012:us-east-1", T0 + H);
      expect(await s.getCursor("spot:123456789012:us-east-1")).toBe(T0 + H);
    });

    it("applies retention counted back from now, keeping the point in effect at the cutoff", async () => {
      const s = await make({ retentionMs: 10 * H, now: () => T0 + 15 * H });
      const pts = [0, 2, 4, 13, 15].map((h, i) => ({ ...b, ts: T0 + h * H, price: 1 + i / 10 }));
      // now +15h, cutoff +5h: the +4h point is in effect at the cutoff and stays; +0h and +2h are not stored
      expect(await s.appendPrices(pts)).toEqual({ added: 3, expired: 2 });
      expect((await s.readPrices([B], 0)).get(B)?.map((p) => (p.ts - T0) / H)).toEqual([4, 13, 15]);
    });

    it("does not let a future-dated point cut a pool's history", async () => {
      const s = await make({ retentionMs: 10 * H, now: () => T0 + 15 * H });
      const pts = [4, 13, 15].map((h, i) => ({ ...b, ts: T0 + h * H, price: 1 + i / 10 }));
      await s.appendPrices(pts);
      // from the newest point, +1000h would have dropped everything before +990h
      expect(await s.appendPrices([{ ...b, ts: T0 + 1000 * H, price: 2 }])).toEqual({ added: 1, expired: 0 });
      expect((await s.readPrices([B], 0)).get(B)?.map((p) => (p.ts - T0) / H)).toEqual([4, 13, 15, 1000]);
    });

    it("counts old history it does not keep: only the point in effect now stays", async () => {
      const s = await make({ retentionMs: 10 * H, now: () => T0 + 1000 * H });
      const pts = [0, 2, 4, 13, 15].map((h, i) => ({ ...b, ts: T0 + h * H, price: 1 + i / 10 }));
      expect(await s.appendPrices(pts)).toEqual({ added: 1, expired: 4 });
      expect((await s.readPrices([B], 0)).get(B)?.map((p) => (p.ts - T0) / H)).toEqual([15]);
      // appending the same file again stores nothing and says so
      expect(await s.appendPrices(pts)).toEqual({ added: 0, expired: 4 });
    });

    it("prunes before a time, keeping the last point before it per pool", async () => {
      const s = await make({ retentionMs: 0 });
      await s.appendPrices(records);
      await s.appendCapacity([
        { ...b, ts: T0, available: 1, source: "running" },
        { ...b, ts: T0 + H, available: 0, source: "insufficient-capacity" },
        { ...b, ts: T0 + 20 * H, available: 1, source: "launch-ok" },
      ]);
      const { removed } = await s.prune(T0 + 18 * H);
      expect(removed).toBe(2 + 1); // b: 2 prices before 17:34:40; capacity: the +0h point
      expect((await s.readPrices([B], 0)).get(B)?.map((p) => p.price)).toEqual([1.0982]);
      expect((await s.readPrices([F], 0)).get(F)?.map((p) => p.price)).toEqual([0.9415]);
      expect((await s.readCapacity([B], 0)).get(B)?.map((p) => p.available)).toEqual([0, 1]);
    });

    it("reads thousands of pools in one call", async () => {
      const s = await make();
      const many: PriceRecord[] = [];
      for (let i = 0; i < 2000; i++) {
        const pool = { region: "us-east-1", az: "us-east-1a", instanceType: `x${i}.large` };
        many.push({ ...pool, ts: T0, price: i / 1000 }, { ...pool, ts: T0 + H, price: i / 1000 + 0.0001 });
      }
      expect((await s.appendPrices(many)).added).toBe(4000);
      const ids = many.filter((_, i) => i % 2 === 0).map((r) => `us-east-1/us-east-1a/${r.instanceType}`);
      const got = await s.readPrices(ids, T0 + H);
      expect(got.size).toBe(2000);
      expect(got.get("us-east-1/us-east-1a/x1999.large")).toEqual([
        { ts: T0, price: 1.999 },
        { ts: T0 + H, price: 1.9991 },
      ]);
    });
  });
}

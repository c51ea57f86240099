import { describe, expect, it } from "vitest";
import { FakeSpotMarket } from "../../../test/core/fake-spot-market.js";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { CodedError } from "../errors.js";
import { ManualClock } from "../ports/clock.js";
import type { MarketStore } from "../ports/market-store.js";
import type { PriceRecord } from "../types.js";
import type { MarketLogger } from "./log.js";
import { SpotPriceScraper, spotCursorKey } from "./scraper.js";

const H = 3_600_000;
const T0 = Date.parse("2026-01-10T00:00:00Z");

/** n pools with a price change every `everyH` hours over [from, to). */
function market(n: number, from: number, to: number, everyH: number): PriceRecord[] {
  const out: PriceRecord[] = [];
  for (let i = 0; i < n; i++) {
    for (let t = from + (i + 1) * 60_000, k = 0; t < to; t += everyH * H, k++) {
      out.push({ region: "us-east-1", az: "us-east-1a", instanceType: `m5.x${i}`, ts: t, price: 0.1 + (k % 5) / 100 });
    }
  }
  return out;
}

class MemoryLog implements MarketLogger {
  lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  info(obj: Record<string, unknown>, msg: string) {
    this.lines.push({ level: "info", obj, msg });
  }
  warn(obj: Record<string, unknown>, msg: string) {
    this.lines.push({ level: "warn", obj, msg });
  }
}

function setup(store: MarketStore = new MemoryMarketStore({ retentionMs: 0 })) {
  const clock = new ManualClock(T0 + 7 * 24 * H);
  const log = new MemoryLog();
  const scraper = new SpotPriceScraper({ store, clock, log, random: () => 0.5, options: { pageSize: 100 } });
  return { clock, log, store, scraper };
}

async function stored(store: MarketStore): Promise<number> {
  const ids = await store.listPools();
  const got = await store.readPrices(ids, 0);
  return [...got.values()].reduce((s, p) => s + p.length, 0);
}

describe("SpotPriceScraper", () => {
  it("backfills in windows with pagination, then costs one page per region when nothing changed", async () => {
    const fake = new FakeSpotMarket();
    fake.records = market(40, T0 - 24 * H, T0 + 7 * 24 * H, 6); // 40 pools x 32 records
    const { store, scraper, clock } = setup();
    const first = await scraper.scrape([fake.port()]);
    expect(first.failedRegions).toBe(0);
    const r = first.regions[0];
    // 7 windows of 24 h; each returns its 160 records plus 40 in-effect ones = 200 → 2 pages of 100
    expect(r.pages).toBe(14);
    expect(r.apiCalls).toBe(14);
    expect(r.cursorAfter).toBe(clock.now());
    // everything from T0 on, plus the price in effect at T0 for each pool
    expect(await stored(store)).toBe(40 * 28 + 40);
    expect(await store.getCursor(spotCursorKey("123456789012", "us-east-1"))).toBe(clock.now());

    fake.calls = [];
    clock.advance(5 * 60_000);
    const second = await scraper.scrape([fake.port()]);
    expect(second.apiCalls).toBe(1);
    expect(second.regions[0].stored).toBe(0);
    // StartTime = cursor - 15 min overlap
    expect(fake.calls[0].startTime).toBe(clock.now() - 5 * 60_000 - 15 * 60_000);
  });

  it("scopes a run to given instance types", async () => {
    const fake = new FakeSpotMarket();
    fake.records = market(3, T0, T0 + 7 * 24 * H, 12);
    const { store, scraper } = setup();
    const port = fake.port();
    const asked: Array<string[] | undefined> = [];
    const inner = port.describeSpotPriceHistory.bind(port);
    port.describeSpotPriceHistory = async (input) => {
      asked.push(input.instanceTypes);
      const res = await inner(input);
      return { ...res, records: res.records.filter((r) => input.instanceTypes?.includes(r.instanceType) ?? true) };
    };
    await scraper.scrape([port], { instanceTypes: ["m5.x1"] });
    expect(new Set(asked.map((a) => a?.join(",")))).toEqual(new Set(["m5.x1"]));
    expect(await store.listPools()).toEqual(["us-east-1/us-east-1a/m5.x1"]);
  });

  it("picks up new records incrementally and de-duplicates the overlap", async () => {
    const fake = new FakeSpotMarket();
    fake.records = market(3, T0, T0 + 7 * 24 * H, 12);
    const { store, scraper, clock } = setup();
    await scraper.scrape([fake.port()]);
    const before = await stored(store);
    clock.advance(H);
    fake.records.push({
      region: "us-east-1",
      az: "us-east-1a",
      instanceType: "m5.x0",
      ts: clock.now() - 30 * 60_000,
      price: 0.5,
    });
    const res = await scraper.scrape([fake.port()]);
    expect(res.regions[0].stored).toBe(1);
    expect(await stored(store)).toBe(before + 1);
  });

  it("absorbs throttling with backoff on the clock and loses no page", async () => {
    const fake = new FakeSpotMarket();
    fake.records = market(40, T0 + 6 * 24 * H, T0 + 7 * 24 * H, 1); // 960 records in the last day
    const { store, scraper, clock } = setup();
    const throttle = () =>
      new CodedError("aws_throttled", "ec2:DescribeSpotPriceHistory: throttled by AWS (RequestLimitExceeded)");
    // the first six windows are empty (one page each); throttle the 2nd and 3rd page of the last window
    fake.faults = [
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      throttle(),
      throttle(),
    ] as never;
    const startedAt = clock.now();
    const res = await scraper.scrape([fake.port()]);
    const r = res.regions[0];
    expect(r.error).toBeUndefined();
    expect(r.throttled).toBe(2);
    expect(r.apiCalls).toBe(r.pages + 2);
    expect(await stored(store)).toBe(960);
    // backoff 1 s then 2 s (times 0.75 jitter) on the injected clock
    expect(clock.now() - startedAt).toBe(750 + 1500);
  });

  it("gives up a region after too many throttles, keeps the cursor at the last stored window, and resumes", async () => {
    const fake = new FakeSpotMarket();
    fake.records = market(5, T0, T0 + 7 * 24 * H, 3);
    const { store, scraper } = setup();
    const key = spotCursorKey("123456789012", "us-east-1");
    const throttle = () => new CodedError("aws_throttled", "throttled (RequestLimitExceeded)");
    fake.faults = [undefined, undefined, ...Array.from({ length: 9 }, throttle)] as never;
    const res = await scraper.scrape([fake.port(), fake.port("us-west-2")]);
    expect(res.regions[0].error?.code).toBe("aws_throttled");
    expect(res.regions[1].error).toBeUndefined(); // the next region still ran
    const cursor = await store.getCursor(key);
    expect(cursor).toBe(T0 + 2 * 24 * H); // two windows done
    const again = await scraper.scrape([fake.port()]);
    expect(again.regions[0].error).toBeUndefined();
    expect(await stored(store)).toBe(5 * 56);
  });

  it("is safe to restart mid-scrape: a crash after a stored page loses nothing", async () => {
    const fake = new FakeSpotMarket();
    fake.records = market(40, T0, T0 + 7 * 24 * H, 2); // 12 per pool per day → 480 + 40 in effect per window: 6 pages
    const store = new MemoryMarketStore({ retentionMs: 0 });
    const a = setup(store);
    fake.failAfterCalls = 8; // window 1 (6 pages) done, crash on page 3 of window 2
    const crashed = await a.scraper.scrape([fake.port()]);
    expect(crashed.regions[0].error?.code).toBe("aws_error");
    expect(await store.getCursor(spotCursorKey("123456789012", "us-east-1"))).toBe(T0 + 24 * H);
    // a new process (new scraper) with the same store
    fake.failAfterCalls = null;
    const b = setup(store);
    const resumed = await b.scraper.scrape([fake.port()]);
    expect(resumed.regions[0].error).toBeUndefined();
    expect(await stored(store)).toBe(40 * 84);
  });

  it("skips bad records, logs each kind once with context, and keeps the good ones", async () => {
    const fake = new FakeSpotMarket();
    fake.records = market(2, T0 + 6 * 24 * H, T0 + 7 * 24 * H, 12);
    const { store, scraper, log } = setup();
    fake.faults = ["garbage", "garbage", "garbage", "garbage", "garbage", "garbage", "garbage"];
    const res = await scraper.scrape([fake.port()]);
    expect(res.regions[0].invalid).toBe(21);
    expect(await stored(store)).toBe(4);
    const warns = log.lines.filter((l) => l.level === "warn");
    expect(warns.map((w) => w.obj.kind).sort()).toEqual(["bad-price", "foreign-region", "future-timestamp"]);
    expect(warns[0].obj).toMatchObject({ accountId: "123456789012", region: "us-east-1", count: 7 });
    expect(log.lines.find((l) => l.msg === "spot prices scraped")?.obj).toMatchObject({ invalid: 21 });
  });

  it("fetches at most the backlog limit after a long outage", async () => {
    const fake = new FakeSpotMarket();
    const { scraper, store, clock } = setup();
    await store.setCursor(spotCursorKey("123456789012", "us-east-1"), clock.now() - 60 * 24 * H);
    const res = await scraper.scrape([fake.port()]);
    expect(fake.calls[0].startTime).toBe(clock.now() - 30 * 24 * H);
    expect(res.apiCalls).toBe(30); // 30 windows of 24 h, one empty page each
  });

  it("stores records of an unordered page and notes it once", async () => {
    const fake = new FakeSpotMarket();
    const { store, scraper, log, clock } = setup();
    const port = fake.port();
    const at = (h: number, price: number) => ({
      region: "us-east-1",
      az: "us-east-1a",
      instanceType: "m5.large",
      ts: clock.now() - h * H,
      price,
    });
    port.describeSpotPriceHistory = async () => ({ records: [at(3, 0.1), at(1, 0.2), at(2, 0.3), at(5, 0.4)] });
    const res = await scraper.scrape([port]);
    expect(res.regions[0].invalid).toBe(0);
    expect(await stored(store)).toBe(4);
    const notes = log.lines.filter((l) => l.obj.kind === "unordered-page");
    expect(notes).toHaveLength(1);
  });

  it("refuses an unknown region without calling AWS", async () => {
    const fake = new FakeSpotMarket();
    const { scraper, log } = setup();
    const res = await scraper.scrape([fake.port("moon-base-1a")]);
    expect(fake.calls).toHaveLength(0);
    expect(res.regions[0].invalid).toBe(1);
    expect(log.lines.some((l) => l.obj.kind === "unknown-region")).toBe(true);
  });

  it("stops a pagination loop instead of spinning", async () => {
    const fake = new FakeSpotMarket();
    const { scraper } = setup();
    const port = fake.port();
    port.describeSpotPriceHistory = async () => ({ records: [], nextToken: "same" });
    const res = await scraper.scrape([port]);
    expect(res.regions[0].error?.code).toBe("pagination");
    expect(res.regions[0].cursorAfter).toBeNull();
  });
});

/**
 * The spot price scraper: per (account, region), DescribeSpotPriceHistory (Linux/UNIX; the port adapter
 * filters the product) incremental from a stored cursor, paginated, de-duplicated, frugal.
 *
 * - The cursor is the end of the last fully stored query window; the next run queries from cursor - overlap
 *   (records can become visible a little after their timestamp). A backlog (first run, long outage) is split
 *   into windows of at most `maxWindowMs`; each window's pages are stored as they arrive and the cursor moves
 *   to the window's end only after its last page is stored, so a crash or restart mid-scrape loses nothing:
 *   the next run repeats at most one window, and idempotent writes absorb the repeat.
 * - Throttling (CodedError aws_throttled) is absorbed: the same page is retried with exponential backoff on
 *   the injected clock, up to `maxRetries` times, without losing the pages already stored.
 * - Bad records (non-numeric price, foreign or unknown region, bad timestamp) are skipped and logged once per
 *   kind per region with a count and an example; they never fail the cycle. Other errors end that region's
 *   run (reported in the result, logged), never the whole cycle.
 */
import { errorMessage, isCodedError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Ec2Port } from "../ports/ec2.js";
import type { MarketStore } from "../ports/market-store.js";
import type { EpochMs, PriceRecord } from "../types.js";
import { poolId } from "../types.js";
import { type MarketLogger, ProblemLog } from "./log.js";

export interface ScraperOptions {
  /** Re-query this much before the cursor (late-visible records). Default 15 min. */
  overlapMs: number;
  /** History fetched on the first run of a region. Default 7 days (the longest feature window). */
  initialLookbackMs: number;
  /** After a long outage, fetch at most this much history (the store's retention). Default 30 days. */
  maxBacklogMs: number;
  /** Longest single query window of a backlog. Default 24 h. */
  maxWindowMs: number;
  /** MaxResults per page (AWS allows up to 1000). */
  pageSize: number;
  /** Retries of one throttled page before the region's run gives up. Default 8. */
  maxRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Safety stop against a pagination loop. Default 500 pages per window. */
  maxPagesPerWindow: number;
  /** Only these instance types (default: every type). */
  instanceTypes?: string[];
}

export const DEFAULT_SCRAPER_OPTIONS: ScraperOptions = {
  overlapMs: 15 * 60_000,
  initialLookbackMs: 7 * 24 * 3_600_000,
  maxBacklogMs: 30 * 24 * 3_600_000,
  maxWindowMs: 24 * 3_600_000,
  pageSize: 1000,
  maxRetries: 8,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  maxPagesPerWindow: 500,
};

export interface RegionScrapeResult {
  accountId: string;
  region: string;
  /** Every DescribeSpotPriceHistory call made, throttled ones included. */
  apiCalls: number;
  pages: number;
  throttled: number;
  /** Records AWS returned. */
  received: number;
  /** Points new to (or changed in) the store. */
  stored: number;
  /** Records already seen in this run (page overlap, repeated pages). */
  duplicates: number;
  /** Records skipped as bad input. */
  invalid: number;
  cursorBefore: EpochMs | null;
  cursorAfter: EpochMs | null;
  /** Set when the region's run stopped early; the cursor then stays at the last fully stored window. */
  error?: { code: string; message: string };
}

export interface ScrapeRunResult {
  regions: RegionScrapeResult[];
  apiCalls: number;
  received: number;
  stored: number;
  failedRegions: number;
}

/**
 * What one run covers. AWS returns, for every call, the price in effect at StartTime of every pool in scope,
 * so an unchanged market still costs ceil(pools in scope / pageSize) pages: scope a run to the candidate
 * types (of managed instances and their alternatives) to keep it at one page per region.
 */
export interface ScrapeScope {
  instanceTypes?: string[];
}

export interface ScraperDeps {
  store: MarketStore;
  clock: Clock;
  log: MarketLogger;
  options?: Partial<ScraperOptions>;
  /** Jitter source in [0,1) (default Math.random); tests pass a constant. */
  random?: () => number;
}

export function spotCursorKey(accountId: string, region: string): string {
  return `spot-prices:${accountId}:${region}`;
}

const FUTURE_SLACK_MS = 10 * 60_000;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;

class PaginationError extends Error {
  readonly code = "pagination";
}

export class SpotPriceScraper {
  private readonly opts: ScraperOptions;
  private readonly random: () => number;

  constructor(private readonly deps: ScraperDeps) {
    this.opts = { ...DEFAULT_SCRAPER_OPTIONS, ...deps.options };
    this.random = deps.random ?? Math.random;
  }

  /** Scrapes every port (one per account and region) in turn; never throws. */
  async scrape(ports: Ec2Port[], scope: ScrapeScope = {}): Promise<ScrapeRunResult> {
    const regions: RegionScrapeResult[] = [];
    for (const port of ports) regions.push(await this.scrapeRegion(port, scope));
    const sum = (f: (r: RegionScrapeResult) => number) => regions.reduce((s, r) => s + f(r), 0);
    return {
      regions,
      apiCalls: sum((r) => r.apiCalls),
      received: sum((r) => r.received),
      stored: sum((r) => r.stored),
      failedRegions: regions.filter((r) => r.error).length,
    };
  }

  async scrapeRegion(port: Ec2Port, scope: ScrapeScope = {}): Promise<RegionScrapeResult> {
    const { store, clock, log } = this.deps;
    const ctx = { accountId: port.accountId, region: port.region };
    const key = spotCursorKey(port.accountId, port.region);
    const result: RegionScrapeResult = {
      ...ctx,
      apiCalls: 0,
      pages: 0,
      throttled: 0,
      received: 0,
      stored: 0,
      duplicates: 0,
      invalid: 0,
      cursorBefore: null,
      cursorAfter: null,
    };
    const problems = new ProblemLog();
    try {
      if (!REGION.test(port.region)) {
        problems.note("unknown-region", { region: port.region });
        return result;
      }
      const cursor = await store.getCursor(key);
      result.cursorBefore = cursor;
      result.cursorAfter = cursor;
      const now = clock.now();
      let start =
        cursor === null
          ? now - this.opts.initialLookbackMs
          : Math.max(cursor - this.opts.overlapMs, now - this.opts.maxBacklogMs);
      const seen = new Map<string, number>();
      while (start < now) {
        const end = Math.min(start + this.opts.maxWindowMs, now);
        await this.scrapeWindow(port, start, end, scope.instanceTypes ?? this.opts.instanceTypes, {
          seen,
          result,
          problems,
        });
        await store.setCursor(key, end);
        result.cursorAfter = end;
        start = end;
      }
      return result;
    } catch (e) {
      const code = isCodedError(e) ? e.code : e instanceof PaginationError ? e.code : "internal";
      result.error = { code, message: errorMessage(e) };
      log.warn({ ...ctx, code, error: errorMessage(e), cursor: result.cursorAfter }, "spot price scrape stopped early");
      return result;
    } finally {
      result.invalid = problems.count() - problems.count("unordered-page") - problems.count("empty-page");
      problems.flush(log, ctx, "spot price records skipped");
      log.info(
        {
          ...ctx,
          apiCalls: result.apiCalls,
          pages: result.pages,
          throttled: result.throttled,
          received: result.received,
          stored: result.stored,
          duplicates: result.duplicates,
          invalid: result.invalid,
        },
        "spot prices scraped",
      );
    }
  }

  private async scrapeWindow(
    port: Ec2Port,
    startTime: EpochMs,
    endTime: EpochMs,
    instanceTypes: string[] | undefined,
    run: { seen: Map<string, number>; result: RegionScrapeResult; problems: ProblemLog },
  ): Promise<void> {
    const { seen, result, problems } = run;
    let nextToken: string | undefined;
    const tokens = new Set<string>();
    for (let page = 0; ; page++) {
      if (page >= this.opts.maxPagesPerWindow) {
        throw new PaginationError(`more than ${this.opts.maxPagesPerWindow} pages for one window; stopped`);
      }
      const res = await this.callWithBackoff(port, result, {
        startTime,
        endTime,
        nextToken,
        maxResults: this.opts.pageSize,
        instanceTypes,
      });
      result.pages++;
      result.received += res.records.length;
      if (res.records.length === 0 && res.nextToken) problems.note("empty-page", { startTime, endTime, page });
      const valid = this.validate(port, res.records, seen, result, problems);
      if (valid.length > 0) result.stored += (await this.deps.store.appendPrices(valid)).added;
      if (!res.nextToken) return;
      if (tokens.has(res.nextToken)) {
        throw new PaginationError(`AWS returned the same NextToken twice (page ${page + 1}); stopped`);
      }
      tokens.add(res.nextToken);
      nextToken = res.nextToken;
    }
  }

  private async callWithBackoff(
    port: Ec2Port,
    result: RegionScrapeResult,
    input: Parameters<Ec2Port["describeSpotPriceHistory"]>[0],
  ): ReturnType<Ec2Port["describeSpotPriceHistory"]> {
    for (let attempt = 0; ; attempt++) {
      result.apiCalls++;
      try {
        return await port.describeSpotPriceHistory(input);
      } catch (e) {
        if (!isCodedError(e, "aws_throttled") || attempt >= this.opts.maxRetries) throw e;
        result.throttled++;
        const ceiling = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** attempt);
        await this.deps.clock.sleep(Math.round(ceiling * (0.5 + this.random() / 2)));
      }
    }
  }

  private validate(
    port: Ec2Port,
    records: PriceRecord[],
    seen: Map<string, number>,
    result: RegionScrapeResult,
    problems: ProblemLog,
  ): PriceRecord[] {
    const out: PriceRecord[] = [];
    let prevTs = Number.NaN;
    let rises = false;
    let falls = false;
    for (const r of records) {
      const example = { az: r.az, instanceType: r.instanceType, ts: r.ts, price: r.price };
      if (typeof r.price !== "number" || !Number.isFinite(r.price) || r.price < 0) {
        problems.note("bad-price", example);
        continue;
      }
      if (typeof r.ts !== "number" || !Number.isFinite(r.ts)) {
        problems.note("bad-timestamp", example);
        continue;
      }
      if (r.region !== port.region || typeof r.az !== "string" || !r.az.startsWith(port.region)) {
        problems.note("foreign-region", { ...example, region: r.region });
        continue;
      }
      if (!r.instanceType) {
        problems.note("no-instance-type", example);
        continue;
      }
      if (r.ts > this.deps.clock.now() + FUTURE_SLACK_MS) {
        problems.note("future-timestamp", example);
        continue;
      }
      // order never matters (the store sorts); a page that is neither ascending nor descending is noted once
      if (r.ts > prevTs) rises = true;
      if (r.ts < prevTs) falls = true;
      if (rises && falls) {
        problems.note("unordered-page", example);
        rises = false;
        falls = false;
      }
      prevTs = r.ts;
      const k = `${poolId(r)}@${r.ts}`;
      if (seen.get(k) === r.price) {
        result.duplicates++;
        continue;
      }
      seen.set(k, r.price);
      out.push({ region: r.region, az: r.az, instanceType: r.instanceType, ts: r.ts, price: r.price });
    }
    return out;
  }
}

/**
 * A QuoteBoard's scan of a candidate list is the list's own scan (scanCandidates()): the same best, the same cost
 * to the bit, the same left-out reasons in the same order, for every current pool, on-demand price and hour, and
 * after the quotes were filled again in place (as the backtester does each hour).
 */
import { describe, expect, it } from "vitest";
import { HOUR, input, instance, NOW, pool, quote } from "../../../test/core/policy-testkit.js";
import { seededRandom as rng } from "../models/bootstrap.js";
import { QuoteBoard } from "./board.js";
import { scanCandidates } from "./context.js";
import { decide, decideOnScan } from "./policy.js";
import type { CandidateQuote, PolicyInput } from "./types.js";

const AZS = ["us-east-1a", "us-east-1b", "us-east-1c"];
const TYPES = ["m5.large", "m5a.large", "m6i.large", "m5n.large", "c5.xlarge", "r5.large"];
const ON_DEMAND = [0.05, 0.096, 0.2];

/** Fills `q` with a random quote: every kind of problem, prices that tie, means above and below the price. */
function fill(q: CandidateQuote, r: () => number): void {
  q.price = r() < 0.05 ? Number.NaN : [0.03, 0.031, 0.04, 0.05, 0.0955, 0.1, 0.2][Math.floor(r() * 7)];
  q.risk = r() < 0.1 ? 0.5 : 0.0001 * (1 + Math.floor(r() * 3));
  q.priceTs = r() < 0.15 ? NOW - 100 * HOUR : NOW - HOUR;
  q.launchFailure = r() < 0.1 ? 0.95 : null;
  q.recentMean = r() < 0.4 ? q.price * (0.5 + r() * 1.5) : undefined;
}

/** Positions `list` of `quotes`, shuffled unless `sorted` (the daemon's lists are sorted by id). */
function pick(n: number, r: () => number, sorted: boolean): number[] {
  const list = [...Array(n).keys()].filter(() => r() < 0.7);
  if (sorted) return list;
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

describe("a scan read off a QuoteBoard", () => {
  it("is the candidate list's own scan, for every current pool and on-demand price (200 random boards)", () => {
    let compared = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const quotes: CandidateQuote[] = [];
      for (const az of AZS) for (const t of TYPES) quotes.push(quote(pool(az, t), 0));
      quotes.sort((a, b) => (a.id < b.id ? -1 : 1));
      const base = input();
      const board = new QuoteBoard(quotes, base.config);
      // two hours: the second refills the same quote objects in place, as the backtester does
      for (const now of [NOW, NOW + HOUR]) {
        for (const q of quotes) fill(q, r);
        board.judge(now);
        const list = pick(quotes.length, r, seed % 2 === 0);
        const candidates = list.map((p) => quotes[p]);
        for (const onDemandPrice of ON_DEMAND) {
          for (const skip of [-1, ...list]) {
            const at = skip < 0 ? quotes[0].pool : quotes[skip].pool;
            const x: PolicyInput = {
              ...base,
              now,
              onDemandPrice,
              candidates,
              instance: instance({
                az: at.az,
                instanceType: at.instanceType,
                lifecycle: skip < 0 ? "on-demand" : "spot",
              }),
              current: skip < 0 ? null : quotes[skip],
            };
            const own = scanCandidates(x, skip < 0 ? "" : quotes[skip].id, skip < 0);
            const read = board.scan(Int32Array.from(list), skip, onDemandPrice);
            const where = `seed ${seed}, now ${now}, od ${onDemandPrice}, skip ${skip}`;
            expect(read.best?.id ?? null, where).toBe(own.best?.id ?? null);
            expect(Object.is(read.bestCost, own.bestCost), where).toBe(true);
            expect([...read.excluded], where).toEqual([...own.excluded]);
            expect(decideOnScan(x, read), where).toEqual(decide(x));
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it("counts reasons by their first appearance in the list's order, not the board's", () => {
    const stale = { ...quote(pool("us-east-1a", "m5.large"), 0.03), priceTs: NOW - 100 * HOUR };
    const dear = quote(pool("us-east-1b", "m5.large"), 0.2);
    const risky = quote(pool("us-east-1c", "m5.large"), 0.03, 0.5);
    const board = new QuoteBoard([stale, dear, risky], input().config);
    board.judge(NOW);
    expect([...board.scan([2, 1, 0, 1], -1, 0.096).excluded]).toEqual([
      ["risk above the ceiling", 1],
      ["spot price at or above on-demand", 2],
      ["price older than 48 h", 1],
    ]);
    // nothing left out, then a scan that leaves some out: the counts of one scan do not leak into the next
    expect(board.scan([], -1, 0.096).excluded.size).toBe(0);
    expect([...board.scan([1], -1, 0.096).excluded]).toEqual([["spot price at or above on-demand", 1]]);
  });
});

/**
 * One scan of a candidate list shared by instances whose candidates are the same but whose current pool differs
 * (an AZ-flexible fleet of one type spread over a region's AZs has one candidate list for all its AZs): every
 * candidate is judged and ranked once, and each instance's scan (scanCandidates(), which leaves its own pool
 * out) and alternatives (rankedAlternatives()) are read off the ranking. Both give exactly what a scan of the
 * list for that instance gives: the same best, the same reasons counted in the same order, the same alternatives.
 */
import type { PoolKey } from "../types.js";
import { poolId } from "../types.js";
import { type CandidateScan, expectedCostOf, isOnDemandNow, judgedPrice, targetProblem } from "./context.js";
import type { CandidateQuote, PolicyInput } from "./types.js";

/** What a ranking depends on besides the candidates: it serves only inputs equal in these. */
type RankingInput = Pick<PolicyInput, "candidates" | "now" | "config" | "onDemandPrice">;

export class CandidateRanking {
  /**
   * Positions of the usable candidates, cheapest expected cost first, ties by id (scanCandidates()'s and
   * rankedAlternatives()' order), and their expected costs by position; no object per candidate, as a tick ranks thousands of lists.
   */
  private readonly ranked: number[];
  private readonly cost: Float64Array;
  /** Why each candidate is left out (null: usable), by position. */
  private readonly problems: Array<string | null>;
  /** Per reason, in order of first appearance: how many candidates, and the positions of the first two. */
  private readonly reasons = new Map<string, { n: number; first: number; second: number }>();

  /**
   * What the ranking was made of, copied: an input object the caller reuses and changes (the backtester fills one
   * per instance each hour) must not make an old ranking look current.
   */
  private readonly input: RankingInput;

  constructor(input: RankingInput) {
    this.input = {
      candidates: input.candidates,
      now: input.now,
      config: input.config,
      onDemandPrice: input.onDemandPrice,
    };
    const { candidates, config } = input;
    this.problems = new Array(candidates.length);
    this.cost = new Float64Array(candidates.length);
    const usable: number[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      const problem = targetProblem(input, c);
      this.problems[i] = problem;
      if (problem) {
        const r = this.reasons.get(problem);
        if (!r) this.reasons.set(problem, { n: 1, first: i, second: -1 });
        else {
          if (r.second < 0) r.second = i;
          r.n++;
        }
        continue;
      }
      this.cost[i] = expectedCostOf(input, judgedPrice(c, "target", config.meanWeight), c.risk);
      usable.push(i);
    }
    const cost = this.cost;
    // sorted as a plain array of small integers (a typed array's comparator sort boxes every element)
    this.ranked = usable.sort((a, b) => {
      const ia = candidates[a].id;
      const ib = candidates[b].id;
      return cost[a] - cost[b] || (ia < ib ? -1 : ia > ib ? 1 : 0);
    });
  }

  /** Whether `input` has this ranking's candidates and judges them alike (same list, time, settings, on-demand price). */
  serves(input: PolicyInput): boolean {
    const own = this.input;
    return (
      input.candidates === own.candidates &&
      input.now === own.now &&
      input.config === own.config &&
      input.onDemandPrice === own.onDemandPrice
    );
  }

  /** scanCandidates(input, currentId, onDemandNow) read off the ranking (`input` must be served, see serves()). */
  scanFor(input: PolicyInput): CandidateScan {
    const { instance } = input;
    const skip = isOnDemandNow(input)
      ? null
      : poolId({ region: instance.region, az: instance.az, instanceType: instance.instanceType });
    const { candidates } = this.input;
    let best: CandidateQuote | null = null;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const i of this.ranked) {
      if (candidates[i].id === skip) continue;
      // as scanCandidates: a cost that is not below +Infinity never becomes the best (costs are at most the
      // on-demand price, which is finite: a decision without one is never made)
      if (this.cost[i] < bestCost) {
        best = candidates[i];
        bestCost = this.cost[i];
      }
      break;
    }
    return { best, bestCost, excluded: this.excludedWithout(skip), alternatives: new Map(), ranking: this, skip };
  }

  /** The reasons counted over every candidate but `skip`, in order of first appearance (as scanCandidates counts). */
  private excludedWithout(skip: string | null): Map<string, number> {
    const at = skip === null ? -1 : this.input.candidates.findIndex((c) => c.id === skip);
    const skipped = at >= 0 ? this.problems[at] : null;
    if (!skipped) {
      const out = new Map<string, number>();
      for (const [why, r] of this.reasons) out.set(why, r.n);
      return out;
    }
    const order: Array<{ why: string; n: number; first: number }> = [];
    for (const [why, r] of this.reasons) {
      if (why !== skipped) order.push({ why, n: r.n, first: r.first });
      else if (r.n > 1) order.push({ why, n: r.n - 1, first: r.first === at ? r.second : r.first });
    }
    order.sort((a, b) => a.first - b.first);
    return new Map(order.map((o) => [o.why, o.n]));
  }

  /** rankedAlternatives(): usable candidates but `exclude` and `skip`, cheapest first, at most `limit`. */
  alternatives(exclude: string | null, skip: string | null, limit: number): PoolKey[] {
    const { candidates } = this.input;
    const out: PoolKey[] = [];
    for (const i of this.ranked) {
      if (out.length >= limit) break;
      const c = candidates[i];
      if (c.id === exclude || c.id === skip) continue;
      out.push(c.pool);
    }
    return out;
  }
}

/**
 * One scan of a candidate list shared by instances whose candidates are the same but whose current pool differs
 * (an AZ-flexible fleet of one type spread over a region's AZs has one candidate list for all its AZs): every
 * candidate is judged and ranked once, and each instance's scan (scanCandidates(), which leaves its own pool
 * out) and alternatives (rankedAlternatives()) are read off the ranking. Both give exactly what a scan of the
 * list for that instance gives: the same best, the same reasons counted in the same order, the same alternatives.
 */
import type { PoolKey } from "../types.js";
import { poolId } from "../types.js";
import { type CandidateScan, isOnDemandNow, targetCost, targetProblem } from "./context.js";
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
  /** How many candidates each reason leaves out, in order of first appearance (as scanCandidates counts them). */
  private readonly excluded = new Map<string, number>();

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
    const { candidates } = input;
    this.problems = new Array(candidates.length);
    this.cost = new Float64Array(candidates.length);
    const usable: number[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      const problem = targetProblem(input, c);
      this.problems[i] = problem;
      if (problem) {
        this.excluded.set(problem, (this.excluded.get(problem) ?? 0) + 1);
        continue;
      }
      this.cost[i] = targetCost(input, c);
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
    return { best, bestCost, excluded: this.excludedWithout(skip), ranking: this };
  }

  /**
   * The reasons counted over every candidate but `skip`, in order of first appearance (as scanCandidates counts):
   * the counts made once, unless `skip` itself is left out, when its reason's count and place may differ.
   */
  private excludedWithout(skip: string | null): ReadonlyMap<string, number> {
    const { candidates } = this.input;
    const at = skip === null ? -1 : candidates.findIndex((c) => c.id === skip);
    if (at < 0 || this.problems[at] === null) return this.excluded;
    const out = new Map<string, number>();
    for (let i = 0; i < candidates.length; i++) {
      const why = this.problems[i];
      if (why !== null && i !== at) out.set(why, (out.get(why) ?? 0) + 1);
    }
    return out;
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

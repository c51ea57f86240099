/**
 * The quotes of many pools at one time, each judged once (the part of targetProblem() and targetCost() that does
 * not depend on the instance), and scans of candidate lists given as pool positions read off them. A scan gives
 * exactly what scanCandidates() gives for the same candidates: the same best, the same cost, the same reasons
 * counted in the same order. The backtester, which decides every instance of a fleet every hour over one shared
 * set of pool quotes, scans with a board instead of judging every candidate of every instance again.
 */
import type { EpochMs } from "../types.js";
import { ABOVE_ON_DEMAND, type CandidateScan, judgedPrice, quoteProblem, safetyProblem } from "./context.js";
import type { PolicySettings } from "./settings.js";
import type { CandidateQuote } from "./types.js";

/** Code of "no problem" in the problem arrays; the codes of problems are positions in `reasons`. */
const NONE = -1;

export class QuoteBoard {
  /** Problem texts by code; code 0 is ABOVE_ON_DEMAND, the others are added as quotes show them. */
  private readonly reasons: string[] = [ABOVE_ON_DEMAND];
  /** Codes of quoteProblem() and safetyProblem() by pool position (NONE: none). */
  private readonly before: Int32Array;
  private readonly after: Int32Array;
  private readonly price: Float64Array;
  /**
   * judgedPrice(quote, "target"), and the risk times interruptionCostOdHours, by pool position: a cost is then
   * min(on-demand, judged + that × on-demand), the very operations of expectedCostOf() in its order.
   */
  private readonly judged: Float64Array;
  private readonly riskOdHours: Float64Array;
  /** Each quote's place in the order of pool ids (ties in cost go to the lowest id, compared as numbers). */
  private readonly idRank: Int32Array;
  /** Per scan: how many candidates each code left out, and the codes in order of first appearance. */
  private counts = new Int32Array(1);
  private readonly seen: number[] = [];
  /** The reasons of a scan that left nothing out (read-only, so one serves every such scan). */
  private readonly none: ReadonlyMap<string, number> = new Map();

  /**
   * `quotes[p]`: the quote of the pool at position p (holes for pools no candidate list names). The board reads
   * them at judge(); a caller that fills the same quote objects again calls judge() again before scanning.
   */
  constructor(
    private readonly quotes: ReadonlyArray<CandidateQuote | undefined>,
    private readonly config: PolicySettings,
  ) {
    const n = quotes.length;
    this.before = new Int32Array(n).fill(NONE);
    this.after = new Int32Array(n).fill(NONE);
    this.price = new Float64Array(n);
    this.judged = new Float64Array(n);
    this.riskOdHours = new Float64Array(n);
    this.idRank = new Int32Array(n);
    const held = [...quotes.keys()].filter((p) => quotes[p] !== undefined);
    held.sort((a, b) => (quotes[a]!.id < quotes[b]!.id ? -1 : quotes[a]!.id > quotes[b]!.id ? 1 : 0));
    held.forEach((p, rank) => {
      this.idRank[p] = rank;
    });
  }

  private code(reason: string | null): number {
    if (reason === null) return NONE;
    let c = this.reasons.indexOf(reason);
    if (c < 0) {
      c = this.reasons.push(reason) - 1;
      this.counts = new Int32Array(this.reasons.length);
    }
    return c;
  }

  /** Judges every quote as of `now`. */
  judge(now: EpochMs): void {
    const { quotes, config } = this;
    for (let p = 0; p < quotes.length; p++) {
      const q = quotes[p];
      if (!q) continue;
      this.before[p] = this.code(quoteProblem(now, config, q));
      this.after[p] = this.code(safetyProblem(config, q));
      this.price[p] = q.price;
      this.judged[p] = judgedPrice(q, "target", config.meanWeight);
      this.riskOdHours[p] = q.risk * config.interruptionCostOdHours;
    }
  }

  /**
   * scanCandidates() of the candidates at positions `candidates` (in that order) for an instance whose on-demand
   * price is `onDemandPrice`, leaving out the position `skip` (its own pool; −1 when it runs on-demand).
   */
  scan(candidates: ArrayLike<number>, skip: number, onDemandPrice: number): CandidateScan {
    const { quotes, before, after, price, judged, riskOdHours, idRank, counts, seen } = this;
    let best = -1;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let k = 0; k < candidates.length; k++) {
      const p = candidates[k];
      if (p === skip) continue;
      let problem = before[p];
      if (problem === NONE) problem = price[p] >= onDemandPrice ? 0 : after[p];
      if (problem !== NONE) {
        if (counts[problem]++ === 0) seen.push(problem);
        continue;
      }
      const cost = Math.min(onDemandPrice, judged[p] + riskOdHours[p] * onDemandPrice);
      // ties go to the lowest pool id, as in scanCandidates()
      if (cost < bestCost || (cost === bestCost && best >= 0 && idRank[p] < idRank[best])) {
        best = p;
        bestCost = cost;
      }
    }
    if (seen.length === 0) return { best: best < 0 ? null : quotes[best]!, bestCost, excluded: this.none };
    const excluded = new Map<string, number>();
    for (const c of seen) {
      excluded.set(this.reasons[c], counts[c]);
      counts[c] = 0;
    }
    seen.length = 0;
    return { best: best < 0 ? null : quotes[best]!, bestCost, excluded };
  }
}

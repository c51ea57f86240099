/** What every strategy needs, computed once per decision: current and best expected costs. */

import { money, riskPerHour } from "../format.js";
import type { Decision, EpochMs, PoolKey } from "../types.js";
import { poolId } from "../types.js";
import { expectedCostPerHour, switchCost } from "./cost.js";
import { CandidateRanking } from "./ranking.js";
import { HOURS_PER_MONTH, type PolicySettings } from "./settings.js";
import type { CandidateQuote, PolicyInput, PoolQuote } from "./types.js";

export interface PolicyContext {
  input: PolicyInput;
  currentPool: PoolKey;
  currentId: string;
  onDemandNow: boolean;
  /** Expected cost per hour where the instance runs now (on-demand price when on-demand or unknown), ≤ on-demand. */
  currentCost: number;
  currentRisk: number;
  /** Price per hour now where the instance runs (on-demand price when on-demand or unknown). */
  currentPrice: number;
  /** Cheapest usable safe candidate (see targetProblem()) other than the current pool, or null. */
  best: CandidateQuote | null;
  bestCost: number;
  /** currentCost - bestCost (0 without a best). */
  saving: number;
  switchCost: number;
  /** Evidence allowing an early move (PolicyInput.evidence), or null. */
  evidence: string | null;
  /** Candidates left out, by reason ("stale", "at or above on-demand", ...), for the decision's reasons. */
  excluded: ReadonlyMap<string, number>;
  /** The candidate scan this context was built on (shared by instances alike). */
  scan: CandidateScan;
}

const HOUR_MS = 3_600_000;

/** The reason a candidate priced at or above the instance's on-demand price is left out. */
export const ABOVE_ON_DEMAND = "spot price at or above on-demand";

/**
 * Why a candidate cannot be a target, or null when it can: no usable price or risk, a price record older than
 * maxPriceAgeHours (stale), a spot price at or above the on-demand price, a risk above the ceiling, or a model
 * P(launch finds no capacity) above maxLaunchFailure. Checked in that order: quoteProblem(), the on-demand
 * price, safetyProblem().
 */
export function targetProblem(
  input: Pick<PolicyInput, "now" | "config" | "onDemandPrice">,
  c: PoolQuote,
): string | null {
  return (
    quoteProblem(input.now, input.config, c) ??
    (c.price >= input.onDemandPrice ? ABOVE_ON_DEMAND : null) ??
    safetyProblem(input.config, c)
  );
}

/** The first problems of targetProblem(), which depend on the quote, the time and the settings only. */
export function quoteProblem(now: EpochMs, config: PolicySettings, c: PoolQuote): string | null {
  if (!Number.isFinite(c.price) || c.price < 0 || !Number.isFinite(c.risk)) return "no usable quote";
  if (c.priceTs !== undefined && now - c.priceTs > config.maxPriceAgeHours * HOUR_MS) {
    return `price older than ${config.maxPriceAgeHours} h`;
  }
  return null;
}

/** The last problems of targetProblem(), checked after the on-demand price: too risky, launch likely to fail. */
export function safetyProblem(config: PolicySettings, c: PoolQuote): string | null {
  if (c.risk > config.riskCeiling) return "risk above the ceiling";
  if (c.launchFailure != null && c.launchFailure > config.maxLaunchFailure) return "launch likely to fail (model)";
  return null;
}

const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/**
 * The price a quote is judged on (w = meanWeight): a target at price + w × (mean − price) when its recent mean
 * is higher; the current pool at price − w × (price − level) when its level is lower, the level being the lower
 * of its recent mean and its slower mean (a week-long cheap level holds against a spike of a day or two);
 * else the price.
 */
export function judgedPrice(q: PoolQuote, role: "current" | "target", weight: number): number {
  const m = q.recentMean;
  if (!finite(m) || weight <= 0) return q.price;
  if (role === "target") return m > q.price ? q.price + weight * (m - q.price) : q.price;
  const level = finite(q.slowMean) ? Math.min(m, q.slowMean) : m;
  return level < q.price ? q.price + weight * (level - q.price) : q.price;
}

/** Expected cost per hour of a spot pool, capped at the on-demand price (spotwise can always run on-demand). */
export function expectedCostOf(
  input: Pick<PolicyInput, "config" | "onDemandPrice">,
  price: number,
  risk: number,
): number {
  return Math.min(
    input.onDemandPrice,
    expectedCostPerHour(price, risk, input.onDemandPrice, input.config.interruptionCostOdHours),
  );
}

/** The expected cost a candidate is judged on as a target (its judged price and risk, capped at on-demand). */
export function targetCost(input: Pick<PolicyInput, "config" | "onDemandPrice">, c: PoolQuote): number {
  return expectedCostOf(input, judgedPrice(c, "target", input.config.meanWeight), c.risk);
}

/**
 * The part of a decision's context that depends only on the candidates and their quotes, the on-demand price,
 * the time and the settings (not on the instance's history, fleet or evidence): the cheapest usable safe
 * candidate and why the others were left out. Instances alike (same candidates, current pool, lifecycle and
 * model) share one scan; the alternatives of a SWITCH are ranked once per scan.
 */
export interface CandidateScan {
  best: CandidateQuote | null;
  bestCost: number;
  excluded: ReadonlyMap<string, number>;
  /** Memo of rankedAlternatives() per limit and excluded pool id (made by the first). */
  alternatives?: Map<string, PoolKey[]>;
  /** The ranking this scan was read off (CandidateRanking.scanFor()). */
  ranking?: CandidateRanking;
}

/** Whether the instance of `input` counts as on-demand now (so every candidate, its own pool included, is a target). */
export function isOnDemandNow(input: Pick<PolicyInput, "instance" | "current">): boolean {
  return input.instance.lifecycle === "on-demand" || input.current === null;
}

/** Scans `input.candidates` once (see CandidateScan); `currentId` is skipped unless the instance runs on-demand. */
export function scanCandidates(input: PolicyInput, currentId: string, onDemandNow: boolean): CandidateScan {
  let best: CandidateQuote | null = null;
  let bestCost = Number.POSITIVE_INFINITY;
  const excluded = new Map<string, number>();
  for (const c of input.candidates) {
    if (!onDemandNow && c.id === currentId) continue;
    const problem = targetProblem(input, c);
    if (problem) {
      excluded.set(problem, (excluded.get(problem) ?? 0) + 1);
      continue;
    }
    const cost = targetCost(input, c);
    // ties go to the lowest pool id: the decision does not depend on the candidates' order
    if (cost < bestCost || (cost === bestCost && best !== null && c.id < best.id)) {
      best = c;
      bestCost = cost;
    }
  }
  return { best, bestCost, excluded };
}

/** `scan`: a scan of the same candidates, current pool, lifecycle, time and settings (scanCandidates()), reused. */
export function buildContext(input: PolicyInput, scan?: CandidateScan): PolicyContext {
  const { instance, config } = input;
  const currentPool: PoolKey = { region: instance.region, az: instance.az, instanceType: instance.instanceType };
  const currentId = poolId(currentPool);
  const onDemandNow = isOnDemandNow(input);
  const currentRisk = onDemandNow || !input.current ? 0 : input.current.risk;
  const currentCost =
    onDemandNow || !input.current
      ? input.onDemandPrice
      : expectedCostOf(input, judgedPrice(input.current, "current", config.meanWeight), input.current.risk);
  const currentPrice =
    onDemandNow || !input.current || !Number.isFinite(input.current.price) ? input.onDemandPrice : input.current.price;
  const s = scan ?? scanCandidates(input, currentId, onDemandNow);
  const { best, bestCost } = s;
  return {
    input,
    currentPool,
    currentId,
    onDemandNow,
    currentCost,
    currentRisk,
    currentPrice,
    best,
    bestCost: best ? bestCost : Number.NaN,
    saving: best ? currentCost - bestCost : 0,
    switchCost: switchCost(input.onDemandPrice, config.switchCostOdHours),
    evidence: input.evidence ?? null,
    excluded: s.excluded,
    scan: s,
  };
}

/** Safe candidates other than `exclude`, cheapest expected cost first (ties by id), at most `limit`. */
export function rankedAlternatives(ctx: PolicyContext, exclude: string | null, limit: number): PoolKey[] {
  const key = `${limit} ${exclude ?? ""}`;
  const memo = ctx.scan.alternatives?.get(key);
  if (memo) return memo.slice();
  // the scan's ranking when it was read off one (instances sharing candidates), else one made for this decision
  const ranking = ctx.scan.ranking ?? new CandidateRanking(ctx.input);
  const ranked = ranking.alternatives(exclude, ctx.onDemandNow ? null : ctx.currentId, limit);
  ctx.scan.alternatives ??= new Map();
  ctx.scan.alternatives.set(key, ranked);
  return ranked.slice();
}

/** Reason texts use the one formatter module (src/core/format.ts); call sites append "/h" or "/month". */
export const fmt = {
  money,
  pct: (v: number): string => `${v.toFixed(1)}%`,
  risk: (v: number): string => riskPerHour(v).replace(/\/h$/, ""),
};

/** A decision skeleton: STAY where the instance is, with the model fields filled in. */
export function decisionBase(ctx: PolicyContext, strategy: string, reasons: string[]): Decision {
  const { input } = ctx;
  return {
    action: "STAY",
    instanceId: input.instance.instanceId,
    managedId: input.instance.managedId ?? input.instance.instanceId,
    accountId: input.instance.accountId,
    from: ctx.currentPool,
    to: null,
    savingPerHour: 0,
    savingPerMonth: 0,
    priceSavingPerHour: 0,
    priceSavingPerMonth: 0,
    riskFrom: ctx.currentRisk,
    riskTo: null,
    riskFromSource: ctx.onDemandNow ? "on-demand" : (input.current?.riskSource ?? "advisor"),
    riskToSource: null,
    launchFailureTo: null,
    modelName: input.model?.name ?? null,
    modelId: input.model?.id ?? null,
    confidence: input.current?.confidence ?? null,
    fallback: input.model === null,
    strategy,
    reasons,
    alternatives: [],
  };
}

export function switchDecision(ctx: PolicyContext, strategy: string, reasons: string[]): Decision {
  const best = ctx.best!;
  return {
    ...decisionBase(ctx, strategy, reasons),
    action: "SWITCH",
    to: best.pool,
    savingPerHour: ctx.saving,
    savingPerMonth: ctx.saving * HOURS_PER_MONTH,
    ...priceSaving(ctx, best.price),
    riskTo: best.risk,
    riskToSource: best.riskSource ?? "advisor",
    launchFailureTo: best.launchFailure ?? null,
    confidence: best.confidence,
    alternatives: rankedAlternatives(ctx, best.id, 5),
  };
}

/** The price saving of a move to a pool priced `targetPrice` now: from the price series, no risk, ≤ on-demand. */
export function priceSaving(
  ctx: PolicyContext,
  targetPrice: number,
): { priceSavingPerHour: number; priceSavingPerMonth: number } {
  const perHour = Math.min(ctx.input.onDemandPrice, ctx.currentPrice - targetPrice);
  return { priceSavingPerHour: perHour, priceSavingPerMonth: perHour * HOURS_PER_MONTH };
}

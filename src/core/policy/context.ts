/** What every strategy needs, computed once per decision: current and best expected costs. */

import { money, riskPerHour } from "../format.js";
import type { Decision, PoolKey } from "../types.js";
import { poolId } from "../types.js";
import { expectedCostPerHour, switchCost } from "./cost.js";
import { HOURS_PER_MONTH } from "./settings.js";
import type { CandidateQuote, PolicyInput, PoolQuote } from "./types.js";

export interface PolicyContext {
  input: PolicyInput;
  currentPool: PoolKey;
  currentId: string;
  onDemandNow: boolean;
  /** Expected cost per hour where the instance runs now (on-demand price when on-demand or unknown). */
  currentCost: number;
  currentRisk: number;
  /** Cheapest safe candidate (risk <= ceiling) other than the current pool, or null. */
  best: CandidateQuote | null;
  bestCost: number;
  /** currentCost - bestCost (0 without a best). */
  saving: number;
  switchCost: number;
}

const isUsable = (c: CandidateQuote): boolean => Number.isFinite(c.price) && c.price >= 0 && Number.isFinite(c.risk);

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

export function expectedCostOf(input: PolicyInput, price: number, risk: number): number {
  return expectedCostPerHour(price, risk, input.onDemandPrice, input.config.interruptionCostOdHours);
}

export function buildContext(input: PolicyInput): PolicyContext {
  const { instance, config } = input;
  const currentPool: PoolKey = { region: instance.region, az: instance.az, instanceType: instance.instanceType };
  const currentId = poolId(currentPool);
  const onDemandNow = instance.lifecycle === "on-demand" || input.current === null;
  const currentRisk = onDemandNow || !input.current ? 0 : input.current.risk;
  const currentCost =
    onDemandNow || !input.current
      ? input.onDemandPrice
      : expectedCostOf(input, judgedPrice(input.current, "current", config.meanWeight), input.current.risk);
  let best: CandidateQuote | null = null;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const c of input.candidates) {
    if (!isUsable(c) || c.risk > config.riskCeiling) continue;
    if (!onDemandNow && c.id === currentId) continue;
    const cost = expectedCostOf(input, judgedPrice(c, "target", input.config.meanWeight), c.risk);
    // ties go to the lowest pool id: the decision does not depend on the candidates' order
    if (cost < bestCost || (cost === bestCost && best !== null && c.id < best.id)) {
      best = c;
      bestCost = cost;
    }
  }
  return {
    input,
    currentPool,
    currentId,
    onDemandNow,
    currentCost,
    currentRisk,
    best,
    bestCost: best ? bestCost : Number.NaN,
    saving: best ? currentCost - bestCost : 0,
    switchCost: switchCost(input.onDemandPrice, config.switchCostOdHours),
  };
}

/** Safe candidates other than `exclude`, cheapest expected cost first (ties by id), at most `limit`. */
export function rankedAlternatives(ctx: PolicyContext, exclude: string | null, limit: number): PoolKey[] {
  const { input } = ctx;
  const list: { c: CandidateQuote; cost: number }[] = [];
  for (const c of input.candidates) {
    if (!isUsable(c) || c.risk > input.config.riskCeiling) continue;
    if (c.id === exclude || (!ctx.onDemandNow && c.id === ctx.currentId)) continue;
    list.push({ c, cost: expectedCostOf(input, judgedPrice(c, "target", input.config.meanWeight), c.risk) });
  }
  list.sort((a, b) => a.cost - b.cost || (a.c.id < b.c.id ? -1 : a.c.id > b.c.id ? 1 : 0));
  return list.slice(0, limit).map((x) => x.c.pool);
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
    accountId: input.instance.accountId,
    from: ctx.currentPool,
    to: null,
    savingPerHour: 0,
    savingPerMonth: 0,
    riskFrom: ctx.currentRisk,
    riskTo: null,
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
    riskTo: best.risk,
    confidence: best.confidence,
    alternatives: rankedAlternatives(ctx, best.id, 5),
  };
}

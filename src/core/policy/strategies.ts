/**
 * The policy's strategies, walked in order (karpenter's disruption `Method` list): the first that returns
 * a decision decides. Each decision names its strategy and says why, in plain words.
 */
import type { Decision } from "../types.js";

import { decisionBase, fmt, type PolicyContext, priceSaving, switchDecision } from "./context.js";
import { HOURS_PER_MONTH } from "./settings.js";

export interface Strategy {
  readonly name: string;
  /** A decision when this strategy decides, null to pass to the next one. */
  evaluate(ctx: PolicyContext): Decision | null;
}

const HOUR_MS = 3_600_000;

/** Instances allowed to switch at once under the fleet disruption budget (at least 1 when the budget is > 0). */
export function fleetSwitchAllowance(budget: number, fleetSize: number): number {
  if (budget <= 0) return 0;
  return Math.max(1, Math.floor(budget * fleetSize));
}

function budgetExhausted(ctx: PolicyContext): string | null {
  const { fleet, config } = ctx.input;
  const allowed = fleetSwitchAllowance(config.fleetDisruptionBudget, fleet.fleetSize);
  if (fleet.switchingNow < allowed) return null;
  return `fleet disruption budget: ${fleet.switchingNow} of ${fleet.fleetSize} instances switching, at most ${allowed} at once (${fmt.pct(config.fleetDisruptionBudget * 100)})`;
}

const describeBest = (ctx: PolicyContext): string => {
  if (!ctx.best) return `no safe candidate${excludedNote(ctx)}`;
  const p = priceSaving(ctx, ctx.best.price).priceSavingPerHour;
  return (
    `best candidate ${ctx.best.id} at ${fmt.money(ctx.best.price)}/h vs ${fmt.money(ctx.currentPrice)}/h now ` +
    `(price saving ${fmt.money(p)}/h, ${fmt.money(p * HOURS_PER_MONTH)}/month; risk-adjusted expected ` +
    `${fmt.money(ctx.bestCost)}/h vs ${fmt.money(ctx.currentCost)}/h, saves ${fmt.money(ctx.saving)}/h)`
  );
};

function excludedNote(ctx: PolicyContext): string {
  if (ctx.excluded.size === 0) return "";
  let list = "";
  for (const [why, n] of ctx.excluded) list += `${list === "" ? "" : ", "}${n} ${why}`;
  return ` (left out: ${list})`;
}

/** An instance no switch can be run for (ManagedInstance.switchBlocked): STAY, saying why, before anything else. */
export const notSwitchable: Strategy = {
  name: "not-switchable",
  evaluate(ctx) {
    const why = ctx.input.instance.switchBlocked;
    return why ? decisionBase(ctx, "not-switchable", [`not switchable: ${why}`]) : null;
  },
};

/**
 * Leave the pool on evidence (PolicyInput.evidence: a capacity loss observed since the instance entered it, or
 * a risk above the ceiling for at least an hour) for the cheapest safe candidate, even a dearer one; cooldown
 * and weekly cap do not hold it back. Without evidence the instance moves only when a move pays back.
 */
export const riskCeiling: Strategy = {
  name: "risk-ceiling",
  evaluate(ctx) {
    if (ctx.onDemandNow || !ctx.evidence || !ctx.best) return null;
    const why = `evidence: ${ctx.evidence}`;
    const blocked = budgetExhausted(ctx);
    if (blocked) return decisionBase(ctx, "fleet-budget", [why, `escape deferred: ${blocked}`]);
    return switchDecision(ctx, "risk-ceiling", [why, `escape to ${ctx.best.id}: ${describeBest(ctx)}`]);
  },
};

/** Every spot candidate is too risky: run on-demand (or stay there). */
export const onDemandFallback: Strategy = {
  name: "ondemand-fallback",
  evaluate(ctx) {
    const { config, onDemandPrice } = ctx.input;
    if (ctx.best) return null;
    if (ctx.onDemandNow) {
      return decisionBase(ctx, "ondemand-fallback", [
        `no usable spot candidate at or below the risk ceiling ${fmt.risk(config.riskCeiling)}/h${excludedNote(ctx)}: staying on-demand`,
      ]);
    }
    if (!ctx.evidence) return null;
    const why = `evidence: ${ctx.evidence}; no spot candidate is usable at or below the risk ceiling${excludedNote(ctx)}`;
    const blocked = budgetExhausted(ctx);
    if (blocked) return decisionBase(ctx, "fleet-budget", [why, `on-demand fallback deferred: ${blocked}`]);
    return {
      ...decisionBase(ctx, "ondemand-fallback", [why, `fall back to on-demand at ${fmt.money(onDemandPrice)}/h`]),
      action: "ONDEMAND",
      to: ctx.currentPool,
      savingPerHour: ctx.currentCost - onDemandPrice,
      savingPerMonth: (ctx.currentCost - onDemandPrice) * HOURS_PER_MONTH,
      priceSavingPerHour: ctx.currentPrice - onDemandPrice,
      priceSavingPerMonth: (ctx.currentPrice - onDemandPrice) * HOURS_PER_MONTH,
      riskTo: 0,
      riskToSource: "on-demand",
    };
  },
};

export const noBetterCandidate: Strategy = {
  name: "no-better-candidate",
  evaluate(ctx) {
    if (ctx.best && ctx.saving > 0) return null;
    return decisionBase(ctx, "no-better-candidate", [
      ctx.best
        ? `no candidate is cheaper than ${fmt.money(ctx.currentCost)}/h expected now${excludedNote(ctx)}`
        : `no safe candidate${excludedNote(ctx)}`,
    ]);
  },
};

export const minSaving: Strategy = {
  name: "min-saving",
  evaluate(ctx) {
    const { config } = ctx.input;
    const pct = ctx.currentCost > 0 ? (ctx.saving / ctx.currentCost) * 100 : 0;
    const month = ctx.saving * HOURS_PER_MONTH;
    const problems: string[] = [];
    if (pct < config.minSavingPct) problems.push(`saving ${fmt.pct(pct)} is below ${fmt.pct(config.minSavingPct)}`);
    if (month < config.minSavingUsdMonth)
      problems.push(`saving ${fmt.money(month)}/month is below $${config.minSavingUsdMonth}/month`);
    if (problems.length === 0) return null;
    return decisionBase(ctx, "min-saving", [describeBest(ctx), ...problems]);
  },
};

export const cooldown: Strategy = {
  name: "cooldown",
  evaluate(ctx) {
    const { history, now, config } = ctx.input;
    if (history.lastSwitchAt === null) return null;
    const hours = (now - history.lastSwitchAt) / HOUR_MS;
    if (hours >= config.minHoursInPool) return null;
    return decisionBase(ctx, "cooldown", [
      describeBest(ctx),
      `cooldown: ${hours.toFixed(1)} h in pool, at least ${config.minHoursInPool} h before the next switch`,
    ]);
  },
};

export const weeklyCap: Strategy = {
  name: "weekly-cap",
  evaluate(ctx) {
    const { history, config } = ctx.input;
    if (history.switchesPastWeek < config.maxSwitchesPerWeek) return null;
    return decisionBase(ctx, "weekly-cap", [
      describeBest(ctx),
      `${history.switchesPastWeek} switches in the past 7 days, at most ${config.maxSwitchesPerWeek}`,
    ]);
  },
};

export const fleetBudget: Strategy = {
  name: "fleet-budget",
  evaluate(ctx) {
    const blocked = budgetExhausted(ctx);
    return blocked ? decisionBase(ctx, "fleet-budget", [describeBest(ctx), blocked]) : null;
  },
};

/** Move when the saving over the horizon pays the switch cost `paybackMargin` times; otherwise stay (hysteresis). */
export const payback: Strategy = {
  name: "payback",
  evaluate(ctx) {
    const { config } = ctx.input;
    const gain = ctx.saving * config.horizonHours;
    const need = ctx.switchCost * config.paybackMargin;
    const line = `saving over ${config.horizonHours} h ${fmt.money(gain)} vs switch cost ${fmt.money(ctx.switchCost)} × margin ${config.paybackMargin} = ${fmt.money(need)}`;
    if (gain < need) return decisionBase(ctx, "payback", [describeBest(ctx), `does not pay back: ${line}`]);
    const to = ctx.best!;
    return switchDecision(ctx, "payback", [
      `${describeBest(ctx)}`,
      `pays back: ${line}`,
      `risk ${fmt.risk(ctx.currentRisk)}/h → ${fmt.risk(to.risk)}/h`,
    ]);
  },
};

/** The order the daemon walks; the first strategy that decides wins. */
export const DEFAULT_STRATEGIES: readonly Strategy[] = [
  notSwitchable,
  riskCeiling,
  onDemandFallback,
  noBetterCandidate,
  minSaving,
  cooldown,
  weeklyCap,
  fleetBudget,
  payback,
];

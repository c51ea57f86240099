/**
 * The SWITCH/STAY policy the daemon runs: an ordered list of strategies over one instance's candidates.
 * Pure and deterministic: the same input gives the same decision. `revalidate` re-checks a decision on
 * fresh quotes just before it is executed (karpenter's validation step).
 */
import type { Decision, EpochMs, ManagedInstance, PoolKey } from "../types.js";
import { poolId } from "../types.js";
import { buildContext, expectedCostOf, fmt, judgedPrice, targetProblem } from "./context.js";
import { HOURS_PER_MONTH, type PolicySettings } from "./settings.js";
import { DEFAULT_STRATEGIES, type Strategy } from "./strategies.js";
import type { CandidateQuote, FleetState, InstanceHistory, ModelRef, PolicyInput, PoolQuote } from "./types.js";

export function decide(input: PolicyInput, strategies: readonly Strategy[] = DEFAULT_STRATEGIES): Decision {
  const ctx = buildContext(input);
  for (const s of strategies) {
    const d = s.evaluate(ctx);
    if (d) return d;
  }
  throw new Error("policy: the strategy list must end with a strategy that always decides (payback)");
}

export interface DecideFromQuotesInput {
  instance: ManagedInstance;
  now: EpochMs;
  history: InstanceHistory;
  /** Candidate pools, from candidatePools(). */
  candidates: readonly PoolKey[];
  /** Quotes by pool id (poolId()); pools without a quote are not candidates this time. */
  quotes: ReadonlyMap<string, PoolQuote>;
  onDemandPrice: number;
  fleet: FleetState;
  config: PolicySettings;
  model: ModelRef | null;
  /** Evidence allowing an early move (escapeEvidence()), or null. */
  evidence?: string | null;
}

/** Joins candidates with the quote map and decides: the entry point of the daemon. */
export function decideFromQuotes(args: DecideFromQuotesInput, strategies?: readonly Strategy[]): Decision {
  return decide(toPolicyInput(args), strategies);
}

export function toPolicyInput(args: DecideFromQuotesInput): PolicyInput {
  const { instance, quotes } = args;
  const candidates: CandidateQuote[] = [];
  for (const pool of args.candidates) {
    const id = poolId(pool);
    const q = quotes.get(id);
    if (q) candidates.push({ ...q, pool, id });
  }
  const currentId = poolId({ region: instance.region, az: instance.az, instanceType: instance.instanceType });
  return {
    instance,
    now: args.now,
    history: args.history,
    current: instance.lifecycle === "spot" ? (quotes.get(currentId) ?? null) : null,
    candidates,
    onDemandPrice: args.onDemandPrice,
    fleet: args.fleet,
    config: args.config,
    model: args.model,
    evidence: args.evidence ?? null,
  };
}

/**
 * Order in which SWITCH/ONDEMAND decisions of one tick should get the fleet disruption budget: escapes and
 * fallbacks first, then the largest saving per hour, then managed-instance id. Re-run `decide()` with the growing
 * `switchingNow` in this order.
 */
export function budgetOrder(a: Decision, b: Decision): number {
  const urgent = (d: Decision): number => (d.strategy === "payback" ? 1 : 0);
  // ties by the stable managed id: the same order whatever EC2 instance runs the workload now
  const ka = a.managedId ?? a.instanceId;
  const kb = b.managedId ?? b.instanceId;
  return urgent(a) - urgent(b) || b.savingPerHour - a.savingPerHour || (ka < kb ? -1 : ka > kb ? 1 : 0);
}

export type Revalidation =
  | { ok: true; decision: Decision; reasons: string[] }
  | { ok: false; reasons: string[]; fresh: Decision };

/**
 * Checks a SWITCH or ONDEMAND decision against fresh inputs just before execution. Valid when the policy,
 * run again, still makes the same move; a SWITCH whose target is no longer the very best stays valid while
 * that target is still safe and still pays back (no churn of an approved move for a marginally better pool).
 * The returned decision carries the fresh numbers.
 */
export function revalidate(decision: Decision, fresh: PolicyInput): Revalidation {
  const now = decide(fresh);
  if (decision.action === "STAY") return { ok: true, decision: now, reasons: ["nothing to execute"] };
  if (now.action === decision.action && samePool(now.to, decision.to)) {
    return { ok: true, decision: now, reasons: ["still the policy's choice on fresh quotes"] };
  }
  if (decision.action === "SWITCH" && decision.to && now.action === "SWITCH") {
    const keep = stillWorthIt(decision.to, fresh);
    if (keep.ok) {
      return {
        ok: true,
        decision: { ...now, to: decision.to, ...keep.numbers, reasons: [...keep.reasons, ...now.reasons] },
        reasons: keep.reasons,
      };
    }
    return { ok: false, fresh: now, reasons: keep.reasons };
  }
  return {
    ok: false,
    fresh: now,
    reasons: [`on fresh quotes the policy decides ${now.action} (${now.strategy}): ${now.reasons.join("; ")}`],
  };
}

function samePool(a: PoolKey | null, b: PoolKey | null): boolean {
  return a === b || (a !== null && b !== null && poolId(a) === poolId(b));
}

function stillWorthIt(
  target: PoolKey,
  fresh: PolicyInput,
): {
  ok: boolean;
  reasons: string[];
  numbers: Pick<
    Decision,
    "savingPerHour" | "savingPerMonth" | "priceSavingPerHour" | "priceSavingPerMonth" | "riskTo" | "confidence"
  >;
} {
  const id = poolId(target);
  const c = fresh.candidates.find((x) => x.id === id);
  const none = {
    savingPerHour: 0,
    savingPerMonth: 0,
    priceSavingPerHour: 0,
    priceSavingPerMonth: 0,
    riskTo: null,
    confidence: null,
  };
  if (!c || !Number.isFinite(c.price))
    return { ok: false, reasons: [`target ${id} has no fresh quote`], numbers: none };
  const { config } = fresh;
  const problem = targetProblem(fresh, c);
  if (problem === "risk above the ceiling") {
    return { ok: false, reasons: [`target ${id} risk ${fmt.risk(c.risk)}/h is now above the ceiling`], numbers: none };
  }
  if (problem) return { ok: false, reasons: [`target ${id} is no longer a candidate: ${problem}`], numbers: none };
  const spot = fresh.instance.lifecycle === "spot" && fresh.current;
  const current = spot
    ? expectedCostOf(fresh, judgedPrice(fresh.current!, "current", fresh.config.meanWeight), fresh.current!.risk)
    : fresh.onDemandPrice;
  const currentPrice = spot && Number.isFinite(fresh.current!.price) ? fresh.current!.price : fresh.onDemandPrice;
  const saving = current - expectedCostOf(fresh, judgedPrice(c, "target", fresh.config.meanWeight), c.risk);
  const priceSavingPerHour = Math.min(fresh.onDemandPrice, currentPrice - c.price);
  const need = fresh.onDemandPrice * config.switchCostOdHours * config.paybackMargin;
  const pct = current > 0 ? (saving / current) * 100 : 0;
  const numbers = {
    savingPerHour: saving,
    savingPerMonth: saving * HOURS_PER_MONTH,
    priceSavingPerHour,
    priceSavingPerMonth: priceSavingPerHour * HOURS_PER_MONTH,
    riskTo: c.risk,
    confidence: c.confidence,
  };
  if (
    saving * config.horizonHours < need ||
    pct < config.minSavingPct ||
    saving * HOURS_PER_MONTH < config.minSavingUsdMonth
  ) {
    return { ok: false, reasons: [`target ${id} no longer pays back: saves ${fmt.money(saving)}/h`], numbers };
  }
  return { ok: true, reasons: [`target ${id} still pays back: saves ${fmt.money(saving)}/h`], numbers };
}

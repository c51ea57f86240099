/**
 * The SWITCH/STAY policy the daemon runs: an ordered list of strategies over one instance's candidates.
 * Pure and deterministic: the same input gives the same decision. `revalidate` re-checks a decision on
 * fresh quotes just before it is executed (karpenter's validation step).
 */
import type { Decision, EpochMs, ManagedInstance, PoolKey } from "../types.js";
import { poolId } from "../types.js";
import {
  buildContext,
  type CandidateScan,
  expectedCostOf,
  fmt,
  judgedPrice,
  type PolicyContext,
  targetCost,
  targetProblem,
} from "./context.js";
import { CandidateRanking } from "./ranking.js";
import { HOURS_PER_MONTH, type PolicySettings } from "./settings.js";
import { DEFAULT_STRATEGIES, type Strategy } from "./strategies.js";
import type { CandidateQuote, FleetState, InstanceHistory, ModelRef, PolicyInput, PoolQuote } from "./types.js";

/**
 * What instances alike share in one tick: the join of their candidates with the quotes and its scan, filled in
 * by the first decision and reused by the next. Share one only among instances with the same candidates, quote
 * map, on-demand price, time, settings, current pool and lifecycle (the daemon groups by these).
 */
export interface SharedCandidates {
  joined?: CandidateQuote[];
  scan?: CandidateScan;
  /**
   * Shared more widely, by instances with the same candidates (the same `joined` list) whatever their current
   * pool: the candidates ranked once, each instance's scan read off it (CandidateRanking).
   */
  family?: { ranking?: CandidateRanking };
  /**
   * Decisions made on this shared state, by what else a decision depends on (alikeKey()): an instance alike in
   * all of it gets the same decision under its own name (its identity fields and fresh reason and alternative
   * lists), without deciding again. Filled in by decide().
   */
  decided?: Map<string, Decision>;
}

/**
 * What a decision depends on besides what SharedCandidates holds (candidates, quotes, current pool, lifecycle,
 * on-demand price, time, settings, model): the instance's own history, evidence and switch block, and the fleet.
 * The strategies read nothing else of the instance than its identity, which alike() replaces.
 */
function alikeKey(input: PolicyInput): string {
  const { history, fleet } = input;
  return `${history.lastSwitchAt}|${history.switchesPastWeek}|${fleet.switchingNow}|${fleet.fleetSize}|${input.evidence ?? ""}|${input.instance.switchBlocked ?? ""}`;
}

/** `d` for the instance of `input`: its identity, and reason and alternative lists of its own. */
function alike(d: Decision, input: PolicyInput): Decision {
  const { instance } = input;
  return {
    ...d,
    instanceId: instance.instanceId,
    managedId: instance.managedId ?? instance.instanceId,
    accountId: instance.accountId,
    reasons: d.reasons.slice(),
    alternatives: d.alternatives.slice(),
  };
}

export function decide(
  input: PolicyInput,
  strategies: readonly Strategy[] = DEFAULT_STRATEGIES,
  shared?: SharedCandidates,
): Decision {
  const key = shared ? alikeKey(input) : "";
  const made = shared?.decided?.get(key);
  if (made) return alike(made, input);
  let scan = shared?.scan;
  if (!scan && shared?.family) {
    let ranking = shared.family.ranking;
    if (!ranking?.serves(input)) {
      ranking = new CandidateRanking(input);
      shared.family.ranking = ranking;
    }
    scan = ranking.scanFor(input);
  }
  const ctx = buildContext(input, scan);
  if (shared && !shared.scan) shared.scan = ctx.scan;
  const d = firstDecision(ctx, strategies);
  if (!shared) return d;
  shared.decided ??= new Map();
  shared.decided.set(key, d);
  return alike(d, input);
}

/**
 * decide() on a scan of `input`'s candidates made elsewhere (a QuoteBoard's): it must be what scanCandidates()
 * gives for `input`. Nothing is shared beyond the scan.
 */
export function decideOnScan(
  input: PolicyInput,
  scan: CandidateScan,
  strategies: readonly Strategy[] = DEFAULT_STRATEGIES,
): Decision {
  return firstDecision(buildContext(input, scan), strategies);
}

function firstDecision(ctx: PolicyContext, strategies: readonly Strategy[]): Decision {
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
  /** poolId() of the instance's pool, when the caller has it (saves building it again per decision). */
  currentId?: string;
}

/** Joins candidates with the quote map and decides: the entry point of the daemon. */
export function decideFromQuotes(
  args: DecideFromQuotesInput,
  strategies?: readonly Strategy[],
  shared?: SharedCandidates,
): Decision {
  return decide(toPolicyInput(args, shared), strategies, shared);
}

/**
 * Candidate pools joined with their quotes (pools without one left out), in the candidates' order. A quote that
 * already is the pool's CandidateQuote (same id) is used as it is.
 */
export function joinCandidates(pools: readonly PoolKey[], quotes: ReadonlyMap<string, PoolQuote>): CandidateQuote[] {
  const candidates: CandidateQuote[] = [];
  for (const pool of pools) {
    const id = poolId(pool);
    const q = quotes.get(id);
    if (!q) continue;
    candidates.push((q as Partial<CandidateQuote>).id === id ? (q as CandidateQuote) : { ...q, pool, id });
  }
  return candidates;
}

export function toPolicyInput(args: DecideFromQuotesInput, shared?: SharedCandidates): PolicyInput {
  const { instance, quotes } = args;
  let candidates = shared?.joined;
  if (!candidates) {
    candidates = joinCandidates(args.candidates, quotes);
    if (shared) shared.joined = candidates;
  }
  const currentId =
    args.currentId ?? poolId({ region: instance.region, az: instance.az, instanceType: instance.instanceType });
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

/** 0 for the escapes and fallbacks, which get the fleet budget first; 1 for plain paybacks. */
const urgent = (d: Decision): number => (d.strategy === "payback" ? 1 : 0);

/**
 * Order in which SWITCH/ONDEMAND decisions of one tick should get the fleet disruption budget: escapes and
 * fallbacks first, then the largest saving per hour, then managed-instance id. Re-run `decide()` with the growing
 * `switchingNow` in this order.
 */
export function budgetOrder(a: Decision, b: Decision): number {
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
  const saving = current - targetCost(fresh, c);
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

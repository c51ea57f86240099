/**
 * The switch's plan for new advice (the saga's preflight in advice mode): what a switch cannot carry over is part
 * of the advice, and advice no switch could run becomes a STAY that says why.
 */
import { managedIdOf } from "../../core/fleet/discovery.js";
import type { StandingAdvice } from "../../core/recommendations/types.js";
import { type Decision, poolId } from "../../core/types.js";
import type { DecideDeps } from "./decide.js";

export type AdvicePlan = { ok: true; notCarried: string[] } | { ok: false; reason: string };

/** The reason line of a recommendation that names what a switch cannot carry over. */
export const NOT_CARRIED = "a switch does not carry over: ";

/** How long a plan made for an advice (instance, target pool) is reused by later ticks. */
export const PLAN_REUSE_MS = 3_600_000;

/**
 * Plans made by recent ticks, per EC2 instance and target pool: an advice the saga refuses (a one-time Spot
 * source with data volumes, stop protection) is refused again at every tick until something changes, and
 * asking again every 15 minutes costs EC2 calls per such instance. A plan is reused for PLAN_REUSE_MS;
 * advice is only advice, and the switch's own preflight looks at the world again before anything changes.
 */
export class PlanMemo {
  private readonly plans = new Map<string, { at: number; plan: AdvicePlan }>();

  get(x: Decision, now: number): AdvicePlan | undefined {
    const hit = this.plans.get(planKey(x));
    return hit && now - hit.at < PLAN_REUSE_MS && hit.at <= now ? hit.plan : undefined;
  }

  set(x: Decision, now: number, plan: AdvicePlan): void {
    this.plans.set(planKey(x), { at: now, plan });
  }

  /** Drops plans older than PLAN_REUSE_MS (once per tick). */
  prune(now: number): void {
    for (const [k, v] of this.plans) if (now - v.at >= PLAN_REUSE_MS || v.at > now) this.plans.delete(k);
  }
}

function planKey(x: Decision): string {
  return `${x.accountId}|${x.instanceId}|${x.to ? poolId(x.to) : "-"}`;
}

/**
 * Plans the switch of each new SWITCH advice (DecideDeps.planAdvice): what it cannot carry over becomes a
 * reason; an advice the saga would refuse becomes a STAY (strategy `not-switchable`, with the refusal). An
 * advice standing on the same target keeps the plan it was posted with. Returns how many were refused.
 */
export async function planNewAdvice(
  decisions: Decision[],
  pending: Map<string, StandingAdvice>,
  d: Pick<DecideDeps, "planAdvice" | "log">,
  memo?: { plans: PlanMemo; now: number },
): Promise<number> {
  const plan = d.planAdvice;
  memo?.plans.prune(memo.now);
  // the plan of each new advice: kept from its posted recommendation, reused from the memo, or asked (a few at
  // a time: each is several read-only EC2 calls, and the first tick of a large fleet has thousands)
  const plans = new Map<number, AdvicePlan | null>();
  const ask: number[] = [];
  for (let i = 0; i < decisions.length; i++) {
    const x = decisions[i];
    if (x.action !== "SWITCH" || !x.to) continue;
    const rec = pending.get(managedIdOf(x));
    if (rec?.decision.to && poolId(rec.decision.to) === poolId(x.to)) {
      const carried = rec.notCarried;
      plans.set(i, { ok: true, notCarried: carried ? [carried.slice(NOT_CARRIED.length)] : [] });
      continue;
    }
    if (!plan) continue;
    const hit = memo?.plans.get(x, memo.now);
    if (hit) plans.set(i, hit);
    else ask.push(i);
  }
  if (plan) {
    await forEachLimit(ask, PLAN_CONCURRENCY, async (i) => {
      const x = decisions[i];
      const p = await plan(x).catch((e: unknown): AdvicePlan | null => {
        d.log.warn({ err: e, instanceId: x.instanceId }, "could not plan the advice's switch; posting it without");
        return null;
      });
      if (p && memo) memo.plans.set(x, memo.now, p);
      plans.set(i, p);
    });
  }
  let refused = 0;
  for (const [i, p] of [...plans].sort((a, b) => a[0] - b[0])) {
    const x = decisions[i];
    if (p?.ok && p.notCarried.length) x.reasons.push(`${NOT_CARRIED}${p.notCarried.join("; ")}`);
    if (p && !p.ok) {
      refused++;
      d.log.info({ instanceId: x.instanceId, reason: p.reason }, "advice not posted: no switch could run it");
      decisions[i] = {
        ...x,
        action: "STAY",
        to: null,
        savingPerHour: 0,
        savingPerMonth: 0,
        priceSavingPerHour: 0,
        priceSavingPerMonth: 0,
        riskTo: null,
        riskToSource: null,
        launchFailureTo: null,
        alternatives: [],
        strategy: "not-switchable",
        reasons: [`not switchable now: ${p.reason}`, ...x.reasons],
      };
    }
  }
  return refused;
}

/** Plans asked at once (each is a handful of read-only EC2 calls). */
export const PLAN_CONCURRENCY = 8;

/** Runs `fn` over `items`, at most `limit` at a time. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

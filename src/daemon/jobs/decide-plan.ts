/**
 * The switch's plan for new advice (the saga's preflight in advice mode): what a switch cannot carry over is part
 * of the advice, and advice no switch could run becomes a STAY that says why.
 */
import { managedIdOf } from "../../core/fleet/discovery.js";
import type { RecommendationRecord } from "../../core/recommendations/types.js";
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
  pending: Map<string, RecommendationRecord>,
  d: Pick<DecideDeps, "planAdvice" | "log">,
  memo?: { plans: PlanMemo; now: number },
): Promise<number> {
  const plan = d.planAdvice;
  memo?.plans.prune(memo.now);
  let refused = 0;
  for (let i = 0; i < decisions.length; i++) {
    const x = decisions[i];
    if (x.action !== "SWITCH" || !x.to) continue;
    const rec = pending.get(managedIdOf(x));
    const kept = rec?.decision.to && poolId(rec.decision.to) === poolId(x.to) ? rec.decision : null;
    if (kept) {
      const carried = kept.reasons.find((r) => r.startsWith(NOT_CARRIED));
      if (carried) x.reasons.push(carried);
      continue;
    }
    if (!plan) continue;
    let p: AdvicePlan | null | undefined = memo?.plans.get(x, memo.now);
    if (p === undefined) {
      p = await plan(x).catch((e: unknown): AdvicePlan | null => {
        d.log.warn({ err: e, instanceId: x.instanceId }, "could not plan the advice's switch; posting it without");
        return null;
      });
      if (p && memo) memo.plans.set(x, memo.now, p);
    }
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

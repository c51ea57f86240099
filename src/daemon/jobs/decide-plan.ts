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

/**
 * Plans the switch of each new SWITCH advice (DecideDeps.planAdvice): what it cannot carry over becomes a
 * reason; an advice the saga would refuse becomes a STAY (strategy `not-switchable`, with the refusal). An
 * advice standing on the same target keeps the plan it was posted with. Returns how many were refused.
 */
export async function planNewAdvice(
  decisions: Decision[],
  pending: Map<string, RecommendationRecord>,
  d: Pick<DecideDeps, "planAdvice" | "log">,
): Promise<number> {
  const plan = d.planAdvice;
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
    const p = await plan(x).catch((e: unknown): AdvicePlan | null => {
      d.log.warn({ err: e, instanceId: x.instanceId }, "could not plan the advice's switch; posting it without");
      return null;
    });
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

/**
 * The quotes of one decide tick: what is known of every pool in play now (price, recent levels, P(interruption)/h,
 * the model's P(launch finds no capacity)), computed once per pool and deciding model, as the pool's
 * CandidateQuote, so the candidates of every instance join them without copying.
 */
import type { PolicyConfig } from "../../config/schema.js";
import type { AdvisorTable } from "../../core/market/tables.js";
import { tableKey } from "../../core/market/tables.js";
import type { InstanceRisk, TickScores } from "../../core/models/champion-challenger.js";
import { type CandidateQuote, poolHourlyRisk } from "../../core/policy/index.js";
import { priceEwmaPair } from "../../core/policy/outlook.js";
import type { CapacityPoint, PoolKey, PricePoint } from "../../core/types.js";

export interface PoolQuotes {
  /** One quote per pool with a price now, carrying its pool and id (a CandidateQuote). */
  quotes: Map<string, CandidateQuote>;
  /** Who scored (for the decision's model and reasons). */
  ref: InstanceRisk | null;
  /** The model whose launch-failure scores are in the quotes, or null. */
  model: { name: string; id: string | null } | null;
  /** Reasons every decision on these quotes ends with (what risk and launch failure mean here). */
  reasons: string[];
}

/** Quotes of the feature rows' pools (`pools[row]` is `poolIds[row]`) for the model `override` names (or the champion). */
export function poolQuotes(args: {
  now: number;
  pools: readonly PoolKey[];
  poolIds: readonly string[];
  series: { prices: Map<string, PricePoint[]>; capacity: Map<string, CapacityPoint[]> };
  scores: Pick<TickScores, "forInstance">;
  override: string | undefined;
  advisor: AdvisorTable;
  policy: PolicyConfig;
  /** "advisor": price risk from the Spot Advisor prior alone, ignoring observations. */
  risk?: "spotwise" | "advisor";
}): PoolQuotes {
  const { now, pools, series, scores, override, policy } = args;
  const quotes = new Map<string, CandidateQuote>();
  let observed = 0;
  let scored = 0;
  for (let row = 0; row < args.poolIds.length; row++) {
    const id = args.poolIds[row];
    const points = series.prices.get(id) ?? [];
    const last = lastAtOrBefore(points, now);
    if (last === undefined) continue;
    const p = pools[row];
    const capacity = args.risk === "advisor" ? undefined : series.capacity.get(id);
    // one meaning of risk: P(interruption)/h from the advisor bucket and spotwise's own observations
    const risk = poolHourlyRisk(args.advisor.get(tableKey(p.region, p.instanceType))?.bucket, capacity, now);
    if (risk.source === "observed") observed++;
    // the model measures P(a launch finds no capacity): used for that only, and only where it has observations
    const r = scores.forInstance(row, override);
    const launchFailure = !r.fallback && (capacity?.length ?? 0) > 0 ? r.risk : null;
    if (launchFailure !== null) scored++;
    const means = priceEwmaPair(points, now, policy.priceHalfLifeHours, policy.stayLevelHalfLifeHours);
    quotes.set(id, {
      price: last.price,
      priceTs: last.ts,
      risk: risk.risk,
      riskSource: risk.source,
      launchFailure,
      // max(p, 1-p) is not a confidence (a calibrated 2% risk is not "98% confident"): no field until one is
      confidence: null,
      recentMean: means.a,
      slowMean: policy.stayLevelHalfLifeHours > 0 ? means.b : undefined,
      pool: p,
      id,
    });
  }
  const ref = args.poolIds.length > 0 ? scores.forInstance(0, override) : null;
  const modelUsed = scored > 0 && ref !== null && !ref.fallback && ref.modelName ? ref : null;
  const idle = !modelUsed && ref !== null && !ref.fallback && ref.modelName;
  const reasons = [
    ...(ref?.reasons ?? []),
    `risk = P(interruption)/h from the Spot Advisor bucket${observed ? `, updated with spotwise's own capacity observations for ${observed} pool(s)` : ""}` +
      (modelUsed
        ? `; model ${modelUsed.modelName} scored P(launch finds no capacity) for ${scored} observed pool(s) (veto above ${policy.maxLaunchFailure})`
        : idle
          ? ""
          : "; no model score (no usable model): launch failure not vetoed"),
  ];
  // a champion is there but had nothing to score: say so (the risk source line reads it), not "no usable model"
  if (idle && ref) {
    reasons.push(
      `no usable model (model ${ref.modelName} scores only pools spotwise has observed, none of these yet): launch failure not vetoed`,
    );
  }
  return {
    quotes,
    ref,
    model: modelUsed ? { name: modelUsed.modelName as string, id: modelUsed.modelId } : null,
    reasons,
  };
}

function lastAtOrBefore(
  points: readonly { ts: number; price: number }[],
  now: number,
): { ts: number; price: number } | undefined {
  let v: { ts: number; price: number } | undefined;
  for (const p of points) {
    if (p.ts > now) break;
    v = p;
  }
  return v;
}

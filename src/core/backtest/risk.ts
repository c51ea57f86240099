/**
 * Risk inputs of the backtest. The cost model (fixed by issue 5) charges the advisor-bucket interruption
 * rate; the spotwise policy sees the risk a RiskScorer gives it. The default scorer is that same
 * advisor-bucket heuristic; a model-backed scorer can be injected (the daemon's champion, for example).
 */
import type { AdvisorTable } from "../market/tables.js";
import { tableKey } from "../market/tables.js";
import type { ModelRef } from "../policy/types.js";
import { ADVISOR_BUCKET_MONTHLY_RATE } from "../types.js";
import type { PriceGrid } from "./grid.js";

const HOURS_PER_MONTH = 730;

/** Monthly interruption rate of the advisor bucket of (region, type); unknown counts as the worst (0.25). */
export function advisorMonthlyRate(advisor: AdvisorTable, region: string, instanceType: string): number {
  const e = advisor.get(tableKey(region, instanceType));
  return e ? ADVISOR_BUCKET_MONTHLY_RATE[e.bucket] : ADVISOR_BUCKET_MONTHLY_RATE[4];
}

export interface RiskMatrix {
  /** P(disruption within the hour), laid out like grid.price (pool * hours + hour). */
  risk: Float64Array;
  /** Model confidence per pool-hour, or null for a heuristic without one. */
  confidence: Float64Array | null;
}

export interface RiskScorer {
  /** Shown in reports: what produced the risks. */
  readonly description: string;
  /** The model behind the risks, null for the heuristic (decisions then carry fallback = true). */
  readonly model: ModelRef | null;
  score(grid: PriceGrid): Promise<RiskMatrix>;
}

/** P(disruption per hour) = bucket monthly rate / 730, constant in time. */
export function advisorRiskScorer(advisor: AdvisorTable, label = "advisor buckets"): RiskScorer {
  return {
    description: `advisor-bucket heuristic (${label}): P(disruption)/h = monthly bucket rate / 730`,
    model: null,
    async score(grid) {
      const risk = new Float64Array(grid.pools.length * grid.hours);
      grid.pools.forEach((p, i) => {
        risk.fill(
          advisorMonthlyRate(advisor, p.region, p.instanceType) / HOURS_PER_MONTH,
          i * grid.hours,
          (i + 1) * grid.hours,
        );
      });
      return { risk, confidence: null };
    },
  };
}

/**
 * The one meaning of risk in spotwise: **the probability that AWS interrupts a running spot instance of a pool
 * within the next hour** (P(interruption)/h). Every pool of every decision is priced on this scale; the daemon
 * and the backtest compute it with this module.
 *
 * Mapping (docs/backtest.md, "One meaning of risk"):
 *  - Prior: the AWS Spot Advisor bucket of (region, type), a monthly interruption frequency (bucket mid-point,
 *    unknown = the worst bucket) spread evenly over a 730-hour month: λ0 = monthly / 730 per hour (the same
 *    figure the backtest's cost model charges, fixed by issue 5).
 *  - Evidence: spotwise's own capacity observations of the pool over the last `EVIDENCE_WINDOW_HOURS`: the hours
 *    its instances were observed running (a launch that worked counts from its time until the next
 *    observation) and the capacity losses (interruption warning, rebalance recommendation, termination by AWS,
 *    a launch without capacity).
 *  - Estimate: the Gamma-Poisson posterior mean of the hazard with the prior worth `PRIOR_EXPOSURE_HOURS` hours
 *    of observation, λ = (λ0 × E0 + losses) / (E0 + exposure hours), read as the probability per hour (capped
 *    at 1; the rates are small, so the rate and the probability agree to well under 1 %).
 *    Without a loss the estimate never exceeds the prior: a pool spotwise launched into successfully never
 *    looks riskier than one it never observed.
 *
 * The shipped model predicts another quantity (a test launch finds no capacity within the hour); it is never
 * put on this scale (see launchFailure on PoolQuote).
 */
import { ADVISOR_BUCKET_MONTHLY_RATE, type CapacityPoint, type EpochMs } from "../types.js";

export const HOURS_PER_MONTH_RISK = 730;
/** Weight of the advisor prior, in hours of observation. */
export const PRIOR_EXPOSURE_HOURS = 168;
/** Observations older than this are not evidence any more. */
export const EVIDENCE_WINDOW_HOURS = 168;
const HOUR_MS = 3_600_000;

/** Where a risk figure came from. */
export type RiskSource =
  /** the Spot Advisor bucket alone: spotwise has no observation of the pool in the window */
  | "advisor"
  /** the advisor prior updated with spotwise's own observations of the pool */
  | "observed"
  /** the instance runs (or would run) on-demand: no interruption risk */
  | "on-demand";

export interface PoolRisk {
  /** P(interruption within the next hour) of a running spot instance in the pool. */
  risk: number;
  source: RiskSource;
  /** Hours spotwise observed capacity in the pool within the window. */
  exposureHours: number;
  /** Capacity losses observed in the window. */
  losses: number;
}

/** The advisor prior per hour: bucket monthly rate / 730 (null/unknown = the worst bucket). */
export function advisorHourlyRisk(bucket: number | null | undefined): number {
  const last = ADVISOR_BUCKET_MONTHLY_RATE.length - 1;
  const b =
    bucket === null || bucket === undefined || !Number.isFinite(bucket)
      ? last
      : Math.min(last, Math.max(0, Math.round(bucket)));
  return ADVISOR_BUCKET_MONTHLY_RATE[b] / HOURS_PER_MONTH_RISK;
}

/** Exposure hours and losses of a capacity series within [now − window, now]. `points` sorted by ts. */
export function capacityEvidence(
  points: readonly CapacityPoint[] | undefined,
  now: EpochMs,
  windowHours = EVIDENCE_WINDOW_HOURS,
): { exposureHours: number; losses: number; lastLossAt: EpochMs | null } {
  let exposure = 0;
  let losses = 0;
  let lastLossAt: EpochMs | null = null;
  if (!points || points.length === 0) return { exposureHours: 0, losses: 0, lastLossAt };
  const from = now - windowHours * HOUR_MS;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p.ts > now) break;
    if (p.available === 0) {
      if (p.ts >= from) {
        losses++;
        lastLossAt = p.ts;
      }
      continue;
    }
    const end = i + 1 < points.length && points[i + 1].ts < now ? points[i + 1].ts : now;
    const a = Math.max(p.ts, from);
    if (end > a) exposure += (end - a) / HOUR_MS;
  }
  return { exposureHours: exposure, losses, lastLossAt };
}

/** P(interruption)/h of a pool from its advisor bucket and spotwise's capacity observations (see above). */
export function poolHourlyRisk(
  bucket: number | null | undefined,
  capacity: readonly CapacityPoint[] | undefined,
  now: EpochMs,
  windowHours = EVIDENCE_WINDOW_HOURS,
): PoolRisk {
  const prior = advisorHourlyRisk(bucket);
  const ev = capacityEvidence(capacity, now, windowHours);
  if (ev.exposureHours === 0 && ev.losses === 0) {
    return { risk: prior, source: "advisor", exposureHours: 0, losses: 0 };
  }
  const rate = (prior * PRIOR_EXPOSURE_HOURS + ev.losses) / (PRIOR_EXPOSURE_HOURS + ev.exposureHours);
  return { risk: Math.min(1, rate), source: "observed", exposureHours: ev.exposureHours, losses: ev.losses };
}

/**
 * Evidence that the instance should leave its pool before the dwell time or beyond the weekly cap, or null:
 * a capacity loss observed in its pool since it entered it (interruption warning, rebalance recommendation,
 * termination, failed launch), or a risk above the ceiling at this decision and one hour before (sustained).
 */
export function escapeEvidence(args: {
  poolId: string;
  capacity: readonly CapacityPoint[] | undefined;
  /** When the instance entered its pool (launch or last switch); null = unknown (then the window counts). */
  since: EpochMs | null;
  now: EpochMs;
  bucket: number | null | undefined;
  riskCeiling: number;
  /**
   * poolHourlyRisk(bucket, capacity, now).risk and the same an hour before, when the caller already has them
   * (the backtester computes them once per pool and hour, not once per instance in the pool).
   */
  risks?: { now: number; before: number };
}): string | null {
  const { capacity, now } = args;
  const from = Math.max(args.since ?? 0, now - EVIDENCE_WINDOW_HOURS * HOUR_MS);
  if (capacity) {
    for (let i = capacity.length - 1; i >= 0; i--) {
      const p = capacity[i];
      if (p.ts > now) continue;
      if (p.ts < from) break;
      if (p.available === 0) {
        return `capacity loss observed in ${args.poolId} at ${new Date(p.ts).toISOString()} (interruption warning, rebalance recommendation or failed launch) since the instance entered it`;
      }
    }
  }
  const nowRisk = args.risks?.now ?? poolHourlyRisk(args.bucket, capacity, now).risk;
  const before = args.risks?.before ?? poolHourlyRisk(args.bucket, capacity, now - HOUR_MS).risk;
  if (nowRisk > args.riskCeiling && before > args.riskCeiling) {
    return `risk in ${args.poolId} above the ceiling ${args.riskCeiling.toExponential(2)}/h for at least an hour (${before.toExponential(2)} → ${nowRisk.toExponential(2)}/h)`;
  }
  return null;
}

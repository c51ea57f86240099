/**
 * The fallback scorer when no usable model is there: P(disruption within the next hour) from the AWS Spot Advisor
 * interruption bucket alone. The advisor gives a monthly interruption frequency per bucket
 * (ADVISOR_BUCKET_MONTHLY_RATE, bucket mid-points); assuming a constant hazard over a 730-hour month,
 * P(hour) = 1 - (1 - monthly)^(1/730) (≈ monthly / 730 for small rates). An unknown bucket counts as the worst.
 * Decisions made with it carry fallback=true, modelName=null and a reason saying so.
 */
import { featureIndex } from "../features/contract.js";
import type { ModelRunner } from "../ports/model-runner.js";
import { ADVISOR_BUCKET_MONTHLY_RATE } from "../types.js";

export const HOURS_PER_MONTH = 730;
export const HEURISTIC_MODEL_ID = "heuristic:advisor-bucket";
export const HEURISTIC_MODEL_NAME = "advisor-bucket-heuristic";

export function advisorBucketHourlyRisk(bucket: number | null | undefined): number {
  const b =
    bucket === null || bucket === undefined || !Number.isFinite(bucket)
      ? ADVISOR_BUCKET_MONTHLY_RATE.length - 1
      : Math.min(ADVISOR_BUCKET_MONTHLY_RATE.length - 1, Math.max(0, Math.round(bucket)));
  const monthly = ADVISOR_BUCKET_MONTHLY_RATE[b];
  return 1 - (1 - monthly) ** (1 / HOURS_PER_MONTH);
}

/** The heuristic as a ModelRunner over the contract's feature matrix (reads the advisor_bucket column). */
export class AdvisorBucketHeuristic implements ModelRunner {
  readonly modelId = HEURISTIC_MODEL_ID;
  readonly name = HEURISTIC_MODEL_NAME;
  readonly contractVersion = "spotwise-features/1";
  private readonly col = featureIndex("advisor_bucket");

  async predict(features: Float32Array, rows: number, cols: number): Promise<Float32Array> {
    const out = new Float32Array(rows);
    for (let i = 0; i < rows; i++) out[i] = advisorBucketHourlyRisk(features[i * cols + this.col]);
    return out;
  }

  async close(): Promise<void> {}
}

/** The reason line a decision carries when the heuristic decided. */
export function fallbackReason(why: string): string {
  return `no usable model (${why}): risk from the AWS Spot Advisor interruption bucket (heuristic fallback)`;
}

/**
 * Risk evaluation on capacity traces: a model (fed the TypeScript engine's capacity features, everything else
 * NaN as the contract says for data without prices/advisor/clock) against the two baselines, pooled over all
 * 1-node traces, on every tick whose next hour is observed. Prints AUC, Brier and log loss per predictor.
 */
import { capacityFeatures } from "../features/capacity.js";
import { FEATURE_COUNT, featureIndex } from "../features/contract.js";
import type { ModelRunner } from "../ports/model-runner.js";
import { type ScoreMetrics, scoreMetrics } from "./metrics.js";
import { type Trace, traceBaselines, traceLabels } from "./traces.js";

export interface PredictorResult extends ScoreMetrics {
  name: string;
}

export interface RiskEvalResult {
  predictors: PredictorResult[];
}

export const BASELINE_LAST_HOUR = "baseline:capacity_lost_last_hour";
export const BASELINE_FRAC_6H = "baseline:frac_capacity_lost_6h";

const CAP_OFFSET = featureIndex("cap_available_now");

/** Feature matrix (contract order, capacity features only) for the given ticks of one trace. */
export function traceFeatureMatrix(trace: Trace, ticks: readonly number[]): Float32Array {
  const x = new Float32Array(ticks.length * FEATURE_COUNT).fill(Number.NaN);
  ticks.forEach((tick, r) => {
    const f = capacityFeatures(trace.points, trace.points[tick].ts);
    x.set(f, r * FEATURE_COUNT + CAP_OFFSET);
  });
  return x;
}

export async function riskEval(
  traces: readonly Trace[],
  model?: { name: string; runner: ModelRunner },
  opts: { batchRows?: number } = {},
): Promise<RiskEvalResult> {
  const batch = opts.batchRows ?? 4096;
  const y: number[] = [];
  const last: number[] = [];
  const frac: number[] = [];
  const p: number[] = [];
  for (const trace of traces) {
    const labels = traceLabels(trace.points);
    const base = traceBaselines(trace.points);
    const ticks: number[] = [];
    labels.forEach((l, i) => {
      if (l >= 0) ticks.push(i);
    });
    for (const i of ticks) {
      y.push(labels[i]);
      last.push(base.lostLastHour[i]);
      frac.push(base.fracLost6h[i]);
    }
    if (!model) continue;
    for (let s = 0; s < ticks.length; s += batch) {
      const chunk = ticks.slice(s, s + batch);
      const probs = await model.runner.predict(traceFeatureMatrix(trace, chunk), chunk.length, FEATURE_COUNT);
      for (const v of probs) p.push(v);
    }
  }
  const predictors: PredictorResult[] = [];
  if (model) predictors.push({ name: model.name, ...scoreMetrics(y, p) });
  predictors.push({ name: BASELINE_LAST_HOUR, ...scoreMetrics(y, last) });
  predictors.push({ name: BASELINE_FRAC_6H, ...scoreMetrics(y, frac) });
  return { predictors };
}

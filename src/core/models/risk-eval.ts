/**
 * Risk evaluation on capacity traces that cannot flatter a model: only held-out rows are scored (per trace, the
 * last `holdout` share of its time span, after a gap of the label horizon, so no evaluated label window touches
 * a row the model may have trained on), predictors are reported pooled and on the two slices that behave very
 * differently (capacity available now / unavailable now: the latter is almost always positive), and AUC comes with
 * a 95% interval from a block bootstrap that resamples whole traces (rows of one trace are not independent).
 * The model is fed the TypeScript engine's capacity features, everything else NaN as the contract says for data
 * without prices/advisor/clock; the two baselines are the trainer's.
 */
import { capacityFeatures } from "../features/capacity.js";
import { FEATURE_COUNT, featureIndex } from "../features/contract.js";
import type { ModelRunner } from "../ports/model-runner.js";
import { blockWeights, percentileInterval, scoreOrder, seededRandom, weightedAuc } from "./bootstrap.js";
import { auc, brier, calibration, logLoss } from "./metrics.js";
import { TRACE_HORIZON_MS, type Trace, traceBaselines, traceLabels } from "./traces.js";

export interface PredictorResult {
  name: string;
  auc: number;
  auc_ci95: [number, number];
  brier: number;
  log_loss: number;
  ece: number;
  n: number;
}

export interface EvalBlock {
  rows: number;
  positives: number;
  predictors: PredictorResult[];
}

/** The documented JSON of `spotwise risk-eval --json`. */
export interface RiskEvalResult extends EvalBlock {
  slices: { available_now: EvalBlock; unavailable_now: EvalBlock };
}

export interface RiskEvalSplit {
  holdout: number;
  gapMs: number;
  traces: number;
  /** Traces with at least one evaluated row. */
  tracesEvaluated: number;
  replicates: number;
  /** Labelled rows left out because they are before the split (or in the gap). */
  rowsBeforeSplit: number;
}

export interface RiskEvalOptions {
  /** Share of each trace's time span (the last one) that is evaluated, in (0, 1]; default 0.3. */
  holdout?: number;
  /** Rows between the split and split + gap are skipped; default the label horizon (1 h). */
  gapMs?: number;
  /** Bootstrap replicates (default 1000). */
  replicates?: number;
  seed?: number;
  batchRows?: number;
}

export const BASELINE_LAST_HOUR = "baseline:capacity_lost_last_hour";
export const BASELINE_FRAC_6H = "baseline:frac_capacity_lost_6h";
export const DEFAULT_HOLDOUT = 0.3;

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

/** The ticks of one trace that are evaluated: labelled, at or after split + gap. */
export function heldOutTicks(trace: Trace, labels: Int8Array, holdout: number, gapMs: number): number[] {
  const pts = trace.points;
  if (pts.length === 0) return [];
  const first = pts[0].ts;
  const last = pts[pts.length - 1].ts;
  const from = first + (1 - holdout) * (last - first) + gapMs;
  const out: number[] = [];
  for (let i = 0; i < pts.length; i++) if (labels[i] >= 0 && pts[i].ts >= from) out.push(i);
  return out;
}

export async function riskEval(
  traces: readonly Trace[],
  model?: { name: string; runner: ModelRunner },
  opts: RiskEvalOptions = {},
): Promise<RiskEvalResult & { split: RiskEvalSplit }> {
  const holdout = opts.holdout ?? DEFAULT_HOLDOUT;
  if (!(holdout > 0 && holdout <= 1)) throw new RangeError(`holdout must be in (0, 1], got ${holdout}`);
  const gapMs = opts.gapMs ?? TRACE_HORIZON_MS;
  const batch = opts.batchRows ?? 4096;
  const y: number[] = [];
  const block: number[] = [];
  const availableNow: number[] = [];
  const names = [...(model ? [model.name] : []), BASELINE_LAST_HOUR, BASELINE_FRAC_6H];
  const scores: number[][] = names.map(() => []);
  let rowsBeforeSplit = 0;
  let tracesEvaluated = 0;
  for (const trace of traces) {
    const labels = traceLabels(trace.points);
    const base = traceBaselines(trace.points);
    const ticks = heldOutTicks(trace, labels, holdout, gapMs);
    let labelled = 0;
    for (const l of labels) if (l >= 0) labelled++;
    rowsBeforeSplit += labelled - ticks.length;
    if (ticks.length === 0) continue;
    const b = tracesEvaluated++;
    for (const i of ticks) {
      y.push(labels[i]);
      block.push(b);
      availableNow.push(trace.points[i].available);
      scores[names.length - 2].push(base.lostLastHour[i]);
      scores[names.length - 1].push(base.fracLost6h[i]);
    }
    if (!model) continue;
    for (let s = 0; s < ticks.length; s += batch) {
      const chunk = ticks.slice(s, s + batch);
      const probs = await model.runner.predict(traceFeatureMatrix(trace, chunk), chunk.length, FEATURE_COUNT);
      for (const v of probs) scores[0].push(v);
    }
  }
  const replicates = opts.replicates ?? 1000;
  const evalRows = (keep: (row: number) => boolean): EvalBlock => {
    const rows: number[] = [];
    for (let r = 0; r < y.length; r++) if (keep(r)) rows.push(r);
    const ys = rows.map((r) => y[r]);
    const bs = Int32Array.from(rows, (r) => block[r]);
    const predictors = names.map((name, k) => {
      const p = rows.map((r) => scores[k][r]);
      return {
        name,
        auc: auc(ys, p),
        auc_ci95: bootstrapAuc(ys, p, bs, tracesEvaluated, replicates, opts.seed ?? 1),
        brier: brier(ys, p),
        log_loss: logLoss(ys, p),
        ece: calibration(ys, p).ece,
        n: ys.length,
      };
    });
    return { rows: ys.length, positives: ys.filter((v) => v === 1).length, predictors };
  };
  const pooled = evalRows(() => true);
  return {
    ...pooled,
    slices: {
      available_now: evalRows((r) => availableNow[r] === 1),
      unavailable_now: evalRows((r) => availableNow[r] !== 1),
    },
    split: { holdout, gapMs, traces: traces.length, tracesEvaluated, replicates, rowsBeforeSplit },
  };
}

/** 95% interval of the AUC, resampling whole blocks (traces) with replacement. */
function bootstrapAuc(
  y: readonly number[],
  p: readonly number[],
  blockOf: Int32Array,
  blocks: number,
  replicates: number,
  seed: number,
): [number, number] {
  if (y.length === 0 || blocks < 2 || replicates < 1) return [Number.NaN, Number.NaN];
  const order = scoreOrder(p);
  const rand = seededRandom(seed);
  const w = new Float64Array(blocks);
  const reps: number[] = [];
  for (let b = 0; b < replicates; b++) {
    blockWeights(blocks, rand, w);
    reps.push(weightedAuc(order, p, y, (r) => w[blockOf[r]]));
  }
  return percentileInterval(reps);
}

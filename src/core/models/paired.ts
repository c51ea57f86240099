/**
 * Paired comparison of two models on the SAME labelled rows (same pool, same tick, hence the same outcome):
 * per-row loss differences (b − a; positive = b worse) aggregated per block (pool × UTC day) in the store, then a
 * block bootstrap over blocks gives the interval and the effective sample size. Rows with an unknown outcome
 * (nothing observed in the horizon) are never part of it.
 */
import { blockMeanInterval } from "./bootstrap.js";

export interface PairedBlock {
  /** pool × UTC day */
  block: string;
  n: number;
  sumBrier: number;
  sumSqBrier: number;
  sumLogLoss: number;
  sumSqLogLoss: number;
}

/** One model's scores aggregated: rows per (probability rounded to 1e-4, outcome). */
export interface ScoreBin {
  p: number;
  pos: number;
  neg: number;
}

export interface ModelOutcomes {
  /** Predictions with an observed outcome (0 or 1). */
  labelled: number;
  positives: number;
  /** Horizon passed but nothing was observed: excluded from every score. */
  unknown: number;
  pending: number;
  firstTickAt: number | null;
  lastTickAt: number | null;
}

/** Aggregates the experiment report and the gate need, computed where the predictions are (SQL in production). */
export interface ExperimentQueries {
  modelOutcomes(modelId: string, since?: number): Promise<ModelOutcomes>;
  /** Blocks of rows where both models predicted the same pool at the same tick and the outcome is 0/1. */
  pairedBlocks(a: string, b: string, since?: number): Promise<PairedBlock[]>;
  /** Score histogram of `modelId`, on all its labelled rows or only on those paired with `pairedWith`. */
  scoreBins(modelId: string, pairedWith: string | null, since?: number): Promise<ScoreBin[]>;
}

export interface PairedComparison {
  n: number;
  nEff: number;
  blocks: number;
  brier: { diff: number; ci: [number, number] };
  logLoss: { diff: number; ci: [number, number] };
}

export async function pairedComparison(
  q: ExperimentQueries,
  a: string,
  b: string,
  since?: number,
  opts: { replicates?: number; seed?: number } = {},
): Promise<PairedComparison> {
  const blocks = await q.pairedBlocks(a, b, since);
  const brier = blockMeanInterval(
    blocks.map((x) => ({ sum: x.sumBrier, sumSq: x.sumSqBrier, n: x.n })),
    opts,
  );
  const ll = blockMeanInterval(
    blocks.map((x) => ({ sum: x.sumLogLoss, sumSq: x.sumSqLogLoss, n: x.n })),
    opts,
  );
  return {
    n: brier.n,
    nEff: brier.nEff,
    blocks: brier.blocks,
    brier: { diff: brier.mean, ci: brier.ci },
    logLoss: { diff: ll.mean, ci: ll.ci },
  };
}

export const LOG_EPS = 1e-7;
export const rowBrier = (p: number, y: number) => (p - y) ** 2;
export const rowLogLoss = (p: number, y: number) => {
  const q = Math.min(1 - LOG_EPS, Math.max(LOG_EPS, p));
  return y === 1 ? -Math.log(q) : -Math.log(1 - q);
};

/** AUC, Brier, log loss, ECE and reliability bins from a score histogram. */
export function metricsFromBins(bins: readonly ScoreBin[], calibrationBins = 10) {
  const sorted = [...bins].sort((x, y) => x.p - y.p);
  let negBelow = 0;
  let num = 0;
  let pos = 0;
  let brier = 0;
  let ll = 0;
  const cal = Array.from({ length: calibrationBins }, () => ({ n: 0, sumP: 0, sumY: 0 }));
  for (const b of sorted) {
    num += b.pos * (negBelow + b.neg / 2);
    negBelow += b.neg;
    pos += b.pos;
    brier += b.pos * rowBrier(b.p, 1) + b.neg * rowBrier(b.p, 0);
    ll += b.pos * rowLogLoss(b.p, 1) + b.neg * rowLogLoss(b.p, 0);
    const c = cal[Math.min(calibrationBins - 1, Math.max(0, Math.floor(b.p * calibrationBins)))];
    c.n += b.pos + b.neg;
    c.sumP += b.p * (b.pos + b.neg);
    c.sumY += b.pos;
  }
  const n = pos + negBelow;
  return {
    n,
    positives: pos,
    auc: pos && negBelow ? num / (pos * negBelow) : Number.NaN,
    brier: n ? brier / n : Number.NaN,
    log_loss: n ? ll / n : Number.NaN,
    cal,
  };
}

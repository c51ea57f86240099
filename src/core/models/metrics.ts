/**
 * Probabilistic scores of a predictor against 0/1 outcomes: AUC (Mann-Whitney, ties averaged), Brier score,
 * log loss (probabilities clipped to [1e-7, 1-1e-7]). Same definitions as training/metrics.py.
 */
export const LOG_LOSS_EPS = 1e-7;

export interface ScoreMetrics {
  auc: number;
  brier: number;
  log_loss: number;
  n: number;
}

export function auc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  let pos = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]] === p[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]] === 1) {
        pos++;
        rankSumPos += rank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function brier(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return y.length ? s / y.length : Number.NaN;
}

export function logLoss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, p[i]));
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return y.length ? s / y.length : Number.NaN;
}

export function scoreMetrics(y: ArrayLike<number>, p: ArrayLike<number>): ScoreMetrics {
  return { auc: auc(y, p), brier: brier(y, p), log_loss: logLoss(y, p), n: y.length };
}

/**
 * Expected calibration error over `bins` equal-width probability bins: Σ (rows in bin / rows) · |mean p − mean y|.
 * Also returns the reliability bins (for reports).
 */
export function calibration(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  bins = 10,
): { ece: number; bins: { lo: number; hi: number; n: number; meanP: number; meanY: number }[] } {
  const n = new Float64Array(bins);
  const sp = new Float64Array(bins);
  const sy = new Float64Array(bins);
  for (let i = 0; i < y.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p[i] * bins)));
    n[b]++;
    sp[b] += p[i];
    sy[b] += y[i];
  }
  return calibrationFromBins(Array.from(n, (c, b) => ({ n: c, sumP: sp[b], sumY: sy[b] })));
}

/** ECE and reliability bins from per-bin counts and sums (equal-width bins in order), e.g. aggregated in SQL. */
export function calibrationFromBins(agg: readonly { n: number; sumP: number; sumY: number }[]): {
  ece: number;
  bins: { lo: number; hi: number; n: number; meanP: number; meanY: number }[];
} {
  const total = agg.reduce((a, b) => a + b.n, 0);
  let ece = 0;
  const out = agg.map((b, i) => {
    const meanP = b.n ? b.sumP / b.n : Number.NaN;
    const meanY = b.n ? b.sumY / b.n : Number.NaN;
    if (b.n) ece += (b.n / total) * Math.abs(meanP - meanY);
    return { lo: i / agg.length, hi: (i + 1) / agg.length, n: b.n, meanP, meanY };
  });
  return { ece: total ? ece : Number.NaN, bins: out };
}

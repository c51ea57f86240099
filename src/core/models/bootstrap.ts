/**
 * Intervals that respect dependence: rows of one trace (or one pool) are not independent (overlapping label
 * windows, sticky capacity runs), so intervals resample whole blocks with replacement (block bootstrap) instead
 * of rows. Deterministic: a seeded generator, so the same input gives the same interval.
 */

/** Mulberry32: small, fast, seeded; good enough for resampling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Multiplicities of `blocks` blocks drawn with replacement (one bootstrap replicate). */
export function blockWeights(blocks: number, rand: () => number, out = new Float64Array(blocks)): Float64Array {
  out.fill(0);
  for (let i = 0; i < blocks; i++) out[Math.floor(rand() * blocks)]++;
  return out;
}

/** Percentile interval [q, 1-q] of the finite values (NaN when there are none). */
export function percentileInterval(values: readonly number[], level = 0.95): [number, number] {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return [Number.NaN, Number.NaN];
  const q = (1 - level) / 2;
  const at = (p: number) => {
    const x = p * (v.length - 1);
    const lo = Math.floor(x);
    const hi = Math.ceil(x);
    return v[lo] + (v[hi] - v[lo]) * (x - lo);
  };
  return [at(q), at(1 - q)];
}

/**
 * AUC with row weights (a row's weight is its block's multiplicity), ties averaged. `order` sorts the rows by
 * score ascending and is computed once, so each replicate is one linear pass.
 */
export function weightedAuc(
  order: Int32Array,
  score: ArrayLike<number>,
  y: ArrayLike<number>,
  weight: (row: number) => number,
): number {
  let negBelow = 0;
  let pos = 0;
  let num = 0;
  let i = 0;
  const n = order.length;
  while (i < n) {
    let gPos = 0;
    let gNeg = 0;
    const s = score[order[i]];
    while (i < n && score[order[i]] === s) {
      const r = order[i];
      const w = weight(r);
      if (y[r] === 1) gPos += w;
      else gNeg += w;
      i++;
    }
    num += gPos * (negBelow + gNeg / 2);
    negBelow += gNeg;
    pos += gPos;
  }
  if (pos === 0 || negBelow === 0) return Number.NaN;
  return num / (pos * negBelow);
}

/** Row indices sorted by score ascending. */
export function scoreOrder(score: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: score.length }, (_, i) => i);
  order.sort((a, b) => score[a] - score[b]);
  return order;
}

/**
 * Block-bootstrap interval of a statistic that is a ratio of block sums (a mean over rows): each block gives
 * (sum, count); a replicate's statistic is Σ w·sum / Σ w·count. Also returns the effective sample size:
 * the number of independent rows that would give the same standard error (rows / design effect).
 */
export function blockMeanInterval(
  blocks: readonly { sum: number; sumSq: number; n: number }[],
  opts: { replicates?: number; seed?: number; level?: number } = {},
): { mean: number; ci: [number, number]; n: number; nEff: number; blocks: number } {
  const k = blocks.length;
  const n = blocks.reduce((a, b) => a + b.n, 0);
  const total = blocks.reduce((a, b) => a + b.sum, 0);
  const mean = n ? total / n : Number.NaN;
  if (k < 2 || n < 2) return { mean, ci: [Number.NaN, Number.NaN], n, nEff: n, blocks: k };
  const rand = seededRandom(opts.seed ?? 1);
  const w = new Float64Array(k);
  const reps: number[] = [];
  for (let b = 0; b < (opts.replicates ?? 1000); b++) {
    blockWeights(k, rand, w);
    let s = 0;
    let c = 0;
    for (let i = 0; i < k; i++) {
      s += w[i] * blocks[i].sum;
      c += w[i] * blocks[i].n;
    }
    if (c > 0) reps.push(s / c);
  }
  const sumSq = blocks.reduce((a, b) => a + b.sumSq, 0);
  const rowVar = Math.max(0, sumSq / n - mean * mean);
  const m = reps.reduce((a, b) => a + b, 0) / reps.length;
  const bootVar = reps.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, reps.length - 1);
  // iid: Var(mean) = rowVar / n; nEff is the n at which that equals the bootstrap variance (capped at n)
  const nEff = bootVar > 0 ? Math.min(n, rowVar / bootVar) : n;
  return { mean, ci: percentileInterval(reps, opts.level ?? 0.95), n, nEff, blocks: k };
}

/** One benchmark measurement, reported next to a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline.value */
  ratio?: number;
  notes?: string;
}

export function withRatio(r: BenchResult): BenchResult {
  if (r.baseline && r.baseline.value > 0 && r.ratio === undefined) r.ratio = r.value / r.baseline.value;
  return r;
}

/** Median of repeated timings of `fn`, in milliseconds, after `warmup` runs. */
export async function medianMs(fn: () => unknown | Promise<unknown>, runs = 7, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

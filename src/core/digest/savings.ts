/**
 * The money of the daily digest, each instance and recommendation counted once, priced on the price series:
 *
 * - **Realized**: a completed switch saves the price difference between the pool it left and the pool it moved
 *   to, from the moment it finished for as long as the instance stays there (until its next switch, or until it
 *   is gone). Counted over the hours of the period only.
 * - **Missed**: advice nobody approved (pending, expired, rejected, snoozed, superseded; every advice in shadow
 *   mode) would have saved the same difference over the hours it stood. Advice for one instance never overlaps:
 *   a later recommendation starts where the earlier one ended, so a repeated post is not counted twice.
 *
 * Prices hold from their record to the next one (see counterfactual.ts); hours without a known price on
 * either side are left out.
 */
import { counterfactualSaving } from "../policy/counterfactual.js";
import type { EpochMs, PoolKey, PricePoint } from "../types.js";

/** A stretch of time during which an instance pays `to`'s price instead of `from`'s. */
export interface SavingInterval {
  instanceId: string;
  from: PoolKey;
  to: PoolKey;
  start: EpochMs;
  /** Exclusive; null = still running. */
  end: EpochMs | null;
}

export interface CompletedSwitch {
  instanceId: string;
  newInstanceId: string | null;
  from: PoolKey;
  to: PoolKey;
  finishedAt: EpochMs;
}

export interface StoodAdvice {
  instanceId: string;
  from: PoolKey;
  to: PoolKey;
  createdAt: EpochMs;
  /** When it stopped standing (expired, rejected, superseded, approved …); null = still pending. */
  endedAt: EpochMs | null;
}

/**
 * One interval per completed switch: from its end until the instance's next completed switch, or until the
 * new instance was last seen when it is gone (`goneAt`).
 */
export function realizedIntervals(
  switches: readonly CompletedSwitch[],
  goneAt: ReadonlyMap<string, EpochMs> = new Map(),
): SavingInterval[] {
  const byInstance = new Map<string, CompletedSwitch[]>();
  for (const s of switches) byInstance.set(s.instanceId, [...(byInstance.get(s.instanceId) ?? []), s]);
  const out: SavingInterval[] = [];
  for (const s of switches) {
    const running = s.newInstanceId ?? s.instanceId;
    const next = (byInstance.get(running) ?? [])
      .filter((n) => n.finishedAt > s.finishedAt)
      .sort((a, b) => a.finishedAt - b.finishedAt)[0];
    const ends = [next?.finishedAt, goneAt.get(running)].filter((x): x is number => x !== undefined);
    out.push({
      instanceId: running,
      from: s.from,
      to: s.to,
      start: s.finishedAt,
      end: ends.length ? Math.max(s.finishedAt, Math.min(...ends)) : null,
    });
  }
  return out;
}

/** One interval per advice, clipped so that advice for the same instance never overlaps. */
export function missedIntervals(advice: readonly StoodAdvice[]): SavingInterval[] {
  const out: SavingInterval[] = [];
  const lastEnd = new Map<string, number>();
  for (const a of [...advice].sort((x, y) => x.createdAt - y.createdAt || x.instanceId.localeCompare(y.instanceId))) {
    const prev = lastEnd.get(a.instanceId);
    if (prev === Number.POSITIVE_INFINITY) continue;
    const start = Math.max(a.createdAt, prev ?? a.createdAt);
    const end = a.endedAt;
    if (end !== null && end <= start) continue;
    out.push({ instanceId: a.instanceId, from: a.from, to: a.to, start, end });
    lastEnd.set(a.instanceId, end ?? Number.POSITIVE_INFINITY);
  }
  return out;
}

/** USD saved by the intervals inside [a, b), priced on `series` (pool id → points). */
export function savingsIn(
  intervals: readonly SavingInterval[],
  series: ReadonlyMap<string, readonly PricePoint[]>,
  a: EpochMs,
  b: EpochMs,
): { usd: number; hours: number } {
  let usd = 0;
  let hours = 0;
  for (const iv of intervals) {
    const start = Math.max(a, iv.start);
    const end = Math.min(b, iv.end ?? b);
    if (end <= start) continue;
    const r = counterfactualSaving({ from: { pool: iv.from }, to: { pool: iv.to }, at: start, until: end, series });
    usd += r.grossSaving;
    hours += r.coveredHours;
  }
  return { usd, hours };
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/**
 * Stored predictions of every scored model, labelled once their horizon has passed. One prediction per model,
 * pool and horizon window (window_start = tick rounded down to the horizon): 15-minute ticks with a 1-hour
 * horizon would otherwise give four overlapping, dependent rows per hour. Outcome: 1 capacity lost within the
 * horizon, 0 observed and not lost, -1 nothing observed (unknown: never scored), null not labelled yet.
 */
import type { EpochMs } from "../types.js";

export interface NewPrediction {
  modelId: string;
  tickAt: EpochMs;
  pool: string;
  probability: number;
  horizonMs: number;
}

export type Outcome = 0 | 1 | -1;

export interface PredictionRecord extends NewPrediction {
  id: number;
  labelAt: EpochMs;
  outcome: Outcome | null;
  labelledAt: EpochMs | null;
  /** Start of the horizon window this prediction stands for; null for rows stored per tick before windows. */
  windowStart: EpochMs | null;
}

export function windowStartOf(tickAt: EpochMs, horizonMs: number): EpochMs {
  return Math.floor(tickAt / horizonMs) * horizonMs;
}

export interface PredictionRepository {
  /** Idempotent: a (modelId, pool, horizon window) already stored is skipped (so is a repeated tick). */
  insertMany(rows: NewPrediction[]): Promise<{ added: number }>;
  /** Unlabelled predictions whose horizon ended at or before `now`, oldest first. */
  listDue(now: EpochMs, limit: number): Promise<PredictionRecord[]>;
  setOutcomes(items: { id: number; outcome: Outcome }[], at: EpochMs): Promise<void>;
  /** Predictions of one tick (for comparing decisions), optionally only some pools. */
  listAtTick(tickAt: EpochMs, pools?: string[]): Promise<PredictionRecord[]>;
}

export class MemoryPredictionRepository implements PredictionRepository {
  readonly rows: PredictionRecord[] = [];
  private nextId = 1;

  async insertMany(rows: NewPrediction[]): Promise<{ added: number }> {
    const seen = new Set(
      this.rows.flatMap((r) => [
        `t|${r.modelId}|${r.tickAt}|${r.pool}`,
        ...(r.windowStart === null ? [] : [`w|${r.modelId}|${r.pool}|${r.horizonMs}|${r.windowStart}`]),
      ]),
    );
    let added = 0;
    for (const r of rows) {
      const windowStart = windowStartOf(r.tickAt, r.horizonMs);
      const keys = [`t|${r.modelId}|${r.tickAt}|${r.pool}`, `w|${r.modelId}|${r.pool}|${r.horizonMs}|${windowStart}`];
      if (keys.some((k) => seen.has(k))) continue;
      for (const k of keys) seen.add(k);
      this.rows.push({
        ...r,
        id: this.nextId++,
        labelAt: r.tickAt + r.horizonMs,
        outcome: null,
        labelledAt: null,
        windowStart,
      });
      added++;
    }
    return { added };
  }

  async listDue(now: EpochMs, limit: number): Promise<PredictionRecord[]> {
    return this.rows
      .filter((r) => r.outcome === null && r.labelAt <= now)
      .sort((a, b) => a.labelAt - b.labelAt || a.id - b.id)
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  async setOutcomes(items: { id: number; outcome: Outcome }[], at: EpochMs): Promise<void> {
    const byId = new Map(this.rows.map((r) => [r.id, r]));
    for (const it of items) {
      const r = byId.get(it.id);
      if (r && r.outcome === null) {
        r.outcome = it.outcome;
        r.labelledAt = at;
      }
    }
  }

  async listAtTick(tickAt: EpochMs, pools?: string[]): Promise<PredictionRecord[]> {
    const want = pools ? new Set(pools) : null;
    return this.rows.filter((r) => r.tickAt === tickAt && (!want || want.has(r.pool))).map((r) => ({ ...r }));
  }
}

/** Stored predictions of every scored model, labelled once their horizon has passed. */
import type { EpochMs } from "../types.js";

export interface NewPrediction {
  modelId: string;
  tickAt: EpochMs;
  pool: string;
  probability: number;
  horizonMs: number;
}

export interface PredictionRecord extends NewPrediction {
  id: number;
  labelAt: EpochMs;
  outcome: 0 | 1 | null;
  labelledAt: EpochMs | null;
}

export interface PredictionRepository {
  /** Idempotent: a (modelId, tickAt, pool) already stored is skipped. */
  insertMany(rows: NewPrediction[]): Promise<{ added: number }>;
  /** Unlabelled predictions whose horizon ended at or before `now`, oldest first. */
  listDue(now: EpochMs, limit: number): Promise<PredictionRecord[]>;
  setOutcomes(items: { id: number; outcome: 0 | 1 }[], at: EpochMs): Promise<void>;
  listLabelled(filter?: { since?: EpochMs; until?: EpochMs }): Promise<PredictionRecord[]>;
  /** Predictions of one tick (for comparing decisions), optionally only some pools. */
  listAtTick(tickAt: EpochMs, pools?: string[]): Promise<PredictionRecord[]>;
}

export class MemoryPredictionRepository implements PredictionRepository {
  readonly rows: PredictionRecord[] = [];
  private nextId = 1;

  async insertMany(rows: NewPrediction[]): Promise<{ added: number }> {
    const seen = new Set(this.rows.map((r) => `${r.modelId}|${r.tickAt}|${r.pool}`));
    let added = 0;
    for (const r of rows) {
      const key = `${r.modelId}|${r.tickAt}|${r.pool}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.rows.push({ ...r, id: this.nextId++, labelAt: r.tickAt + r.horizonMs, outcome: null, labelledAt: null });
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

  async setOutcomes(items: { id: number; outcome: 0 | 1 }[], at: EpochMs): Promise<void> {
    const byId = new Map(this.rows.map((r) => [r.id, r]));
    for (const it of items) {
      const r = byId.get(it.id);
      if (r && r.outcome === null) {
        r.outcome = it.outcome;
        r.labelledAt = at;
      }
    }
  }

  async listLabelled(filter: { since?: EpochMs; until?: EpochMs } = {}): Promise<PredictionRecord[]> {
    return this.rows
      .filter(
        (r) =>
          r.outcome !== null &&
          (filter.since === undefined || r.tickAt >= filter.since) &&
          (filter.until === undefined || r.tickAt < filter.until),
      )
      .map((r) => ({ ...r }));
  }

  async listAtTick(tickAt: EpochMs, pools?: string[]): Promise<PredictionRecord[]> {
    const want = pools ? new Set(pools) : null;
    return this.rows.filter((r) => r.tickAt === tickAt && (!want || want.has(r.pool))).map((r) => ({ ...r }));
  }
}

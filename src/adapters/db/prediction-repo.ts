/**
 * PredictionRepository on the `prediction` table: unique (model_id, tick_at, pool) and (model_id, pool,
 * horizon_ms, window_start) — one prediction per model, pool and horizon window; partial index on unlabelled rows.
 */
import {
  type NewPrediction,
  type Outcome,
  type PredictionRecord,
  type PredictionRepository,
  windowStartOf,
} from "../../core/models/prediction-repository.js";
import { PredictionEntity, type PredictionRow } from "./entities.js";
import type { Database } from "./orm.js";

const CHUNK = 1000;

function toRecord(r: PredictionRow): PredictionRecord {
  return {
    id: Number(r.id),
    modelId: r.modelId,
    tickAt: r.tickAt.getTime(),
    pool: r.pool,
    probability: r.probability,
    horizonMs: r.horizonMs,
    labelAt: r.labelAt.getTime(),
    outcome: r.outcome === null || r.outcome === undefined ? null : r.outcome === 1 ? 1 : r.outcome === 0 ? 0 : -1,
    labelledAt: r.labelledAt ? r.labelledAt.getTime() : null,
    windowStart: r.windowStart ? r.windowStart.getTime() : null,
  };
}

export class DbPredictionRepository implements PredictionRepository {
  constructor(private readonly db: Database) {}

  async insertMany(rows: NewPrediction[]): Promise<{ added: number }> {
    let added = 0;
    const conn = this.db.em().getConnection();
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      const params: unknown[] = [];
      const values = chunk.map((r) => {
        params.push(
          r.modelId,
          new Date(r.tickAt),
          r.pool,
          r.probability,
          r.horizonMs,
          new Date(r.tickAt + r.horizonMs),
          new Date(windowStartOf(r.tickAt, r.horizonMs)),
        );
        return "(?, ?, ?, ?, ?, ?, ?)";
      });
      // no conflict target: a repeated tick and a later tick of the same window are both skipped
      const res = await conn.execute(
        `insert into prediction (model_id, tick_at, pool, probability, horizon_ms, label_at, window_start) values ${values.join(", ")} on conflict do nothing`,
        params,
        "run",
      );
      added += (res as { affectedRows?: number }).affectedRows ?? 0;
    }
    return { added };
  }

  async listDue(now: number, limit: number): Promise<PredictionRecord[]> {
    const rows = await this.db
      .em()
      .find(
        PredictionEntity,
        { outcome: null, labelAt: { $lte: new Date(now) } },
        { orderBy: { labelAt: "asc", id: "asc" }, limit },
      );
    return rows.map(toRecord);
  }

  async setOutcomes(items: { id: number; outcome: Outcome }[], at: number): Promise<void> {
    const conn = this.db.em().getConnection();
    for (const outcome of [0, 1, -1] as const) {
      const ids = items.filter((i) => i.outcome === outcome).map((i) => i.id);
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        await conn.execute(
          `update prediction set outcome = ?, labelled_at = ? where outcome is null and id in (${part.map(() => "?").join(", ")})`,
          [outcome, new Date(at), ...part],
          "run",
        );
      }
    }
  }

  async listAtTick(tickAt: number, pools?: string[]): Promise<PredictionRecord[]> {
    const where: Record<string, unknown> = { tickAt: new Date(tickAt) };
    if (pools) where.pool = { $in: pools };
    const rows = await this.db.em().find(PredictionEntity, where, { orderBy: { id: "asc" } });
    return rows.map(toRecord);
  }
}

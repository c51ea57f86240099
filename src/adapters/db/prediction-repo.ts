/** PredictionRepository on the `prediction` table (unique (model_id, tick_at, pool); partial index on unlabelled rows). */
import type { NewPrediction, PredictionRecord, PredictionRepository } from "../../core/models/prediction-repository.js";
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
    outcome: r.outcome === null || r.outcome === undefined ? null : r.outcome === 1 ? 1 : 0,
    labelledAt: r.labelledAt ? r.labelledAt.getTime() : null,
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
        );
        return "(?, ?, ?, ?, ?, ?)";
      });
      const res = await conn.execute(
        `insert into prediction (model_id, tick_at, pool, probability, horizon_ms, label_at) values ${values.join(", ")} on conflict (model_id, tick_at, pool) do nothing`,
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

  async setOutcomes(items: { id: number; outcome: 0 | 1 }[], at: number): Promise<void> {
    const conn = this.db.em().getConnection();
    for (const outcome of [0, 1] as const) {
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

  async listLabelled(filter: { since?: number; until?: number } = {}): Promise<PredictionRecord[]> {
    const tick: Record<string, Date> = {};
    if (filter.since !== undefined) tick.$gte = new Date(filter.since);
    if (filter.until !== undefined) tick.$lt = new Date(filter.until);
    const where: Record<string, unknown> = { outcome: { $ne: null } };
    if (Object.keys(tick).length) where.tickAt = tick;
    const rows = await this.db.em().find(PredictionEntity, where, { orderBy: { id: "asc" } });
    return rows.map(toRecord);
  }

  async listAtTick(tickAt: number, pools?: string[]): Promise<PredictionRecord[]> {
    const where: Record<string, unknown> = { tickAt: new Date(tickAt) };
    if (pools) where.pool = { $in: pools };
    const rows = await this.db.em().find(PredictionEntity, where, { orderBy: { id: "asc" } });
    return rows.map(toRecord);
  }
}

/**
 * Retention of the tables that grow with every tick: decisions, predictions and the tick log. Rows older than
 * their window are deleted in batches (a short lock each), except decisions a recommendation points to (the
 * channel's history and the digest's advice read them). Run by the cleanup job.
 */
import type { Database } from "./orm.js";

const DAY = 86_400_000;
const BATCH = 5_000;

export interface HistoryRetentionDays {
  decisionDays: number;
  predictionDays: number;
  tickLogDays: number;
}

export class DbHistoryRetention {
  constructor(
    private readonly db: Database,
    private readonly days: HistoryRetentionDays,
  ) {}

  private async deleteBatches(sql: string, before: Date): Promise<number> {
    const conn = this.db.em().getConnection();
    let total = 0;
    for (;;) {
      const res = await conn.execute(sql, [before, BATCH], "run");
      const n = (res as { affectedRows?: number }).affectedRows ?? 0;
      total += n;
      if (n < BATCH) return total;
    }
  }

  async prune(now: number): Promise<{ decisions: number; predictions: number; tickRuns: number }> {
    const decisions = await this.deleteBatches(
      `delete from decision where id in (
         select d.id from decision d
         where d.tick_at < ? and not exists (select 1 from recommendation r where r.decision_id = d.id)
         limit ?)`,
      new Date(now - this.days.decisionDays * DAY),
    );
    const predictions = await this.deleteBatches(
      "delete from prediction where id in (select id from prediction where tick_at < ? limit ?)",
      new Date(now - this.days.predictionDays * DAY),
    );
    const tickRuns = await this.deleteBatches(
      "delete from tick_run where id in (select id from tick_run where started_at < ? limit ?)",
      new Date(now - this.days.tickLogDays * DAY),
    );
    return { decisions, predictions, tickRuns };
  }
}

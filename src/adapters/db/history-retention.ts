/**
 * Retention of the tables that grow with every tick: decisions (rows that stopped standing before the window) and
 * their tick summaries, predictions and the tick log. Rows older than their window are deleted in batches (a short
 * lock each), except decisions a recommendation points to (the channel's history and the digest's advice read
 * them). Run by the cleanup job.
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

  async prune(
    now: number,
  ): Promise<{ decisions: number; predictions: number; tickRuns: number; decisionTicks: number }> {
    const decisionsBefore = new Date(now - this.days.decisionDays * DAY);
    // decisions are kept as changes: one goes once it stopped standing before the window (a decision standing
    // for months is still today's), unless a recommendation points to it
    const decisions = await this.deleteBatches(
      `delete from decision where id in (
         select d.id from decision d
         where d.ended_at < ? and not exists (select 1 from recommendation r where r.decision_id = d.id)
         limit ?)`,
      decisionsBefore,
    );
    const decisionTicks = await this.deleteBatches(
      "delete from decision_tick where id in (select id from decision_tick where tick_at < ? limit ?)",
      decisionsBefore,
    );
    const predictions = await this.deleteBatches(
      "delete from prediction where id in (select id from prediction where tick_at < ? limit ?)",
      new Date(now - this.days.predictionDays * DAY),
    );
    const tickRuns = await this.deleteBatches(
      "delete from tick_run where id in (select id from tick_run where started_at < ? limit ?)",
      new Date(now - this.days.tickLogDays * DAY),
    );
    return { decisions, predictions, tickRuns, decisionTicks };
  }
}

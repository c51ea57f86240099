import type { TickLog, TickRecord } from "../../daemon/job.js";
import { TickRunEntity } from "./entities-ops.js";
import type { Database } from "./orm.js";

export class DbTickLog implements TickLog {
  constructor(private readonly db: Database) {}

  async record(t: TickRecord): Promise<void> {
    const em = this.db.em();
    em.create(TickRunEntity, {
      job: t.job,
      startedAt: new Date(t.startedAt),
      finishedAt: new Date(t.finishedAt),
      status: t.status,
      error: t.error,
      stats: t.stats,
    });
    await em.flush();
  }

  async last(job: string): Promise<TickRecord | null> {
    const r = await this.db.em().findOne(TickRunEntity, { job }, { orderBy: { id: "desc" } });
    if (!r) return null;
    return {
      job: r.job,
      startedAt: r.startedAt.getTime(),
      finishedAt: (r.finishedAt ?? r.startedAt).getTime(),
      status: r.status === "failed" ? "failed" : "ok",
      error: r.error ?? null,
      stats: r.stats,
    };
  }
}

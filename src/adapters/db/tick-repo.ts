import type { TickLog, TickRecord } from "../../daemon/job.js";
import { TickRunEntity } from "./entities-ops.js";
import type { Database } from "./orm.js";

export class DbTickLog implements TickLog {
  constructor(private readonly db: Database) {}

  async start(job: string, startedAt: number): Promise<string> {
    const em = this.db.em();
    const row = em.create(TickRunEntity, { job, startedAt: new Date(startedAt), status: "running", stats: {} });
    await em.flush();
    return String(row.id);
  }

  async finish(id: string, t: TickRecord): Promise<void> {
    await this.db.em().nativeUpdate(
      TickRunEntity,
      { id: Number(id) },
      {
        finishedAt: t.finishedAt === null ? null : new Date(t.finishedAt),
        status: t.status,
        error: t.error,
        stats: t.stats,
      },
    );
  }

  async last(job: string): Promise<TickRecord | null> {
    const r = await this.db.em().findOne(TickRunEntity, { job }, { orderBy: { id: "desc" } });
    if (!r) return null;
    return {
      job: r.job,
      startedAt: r.startedAt.getTime(),
      finishedAt: r.finishedAt ? r.finishedAt.getTime() : null,
      status: r.status === "skipped" ? "ok" : r.status,
      error: r.error ?? null,
      stats: r.stats,
    };
  }
}

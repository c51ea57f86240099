import type { ComponentHealth, HealthStore } from "../../core/health/health.js";
import { ComponentHealthEntity } from "./entities-ops.js";
import type { Database } from "./orm.js";

export class DbHealthStore implements HealthStore {
  constructor(private readonly db: Database) {}

  async upsert(h: ComponentHealth): Promise<void> {
    await this.db.em().upsert(ComponentHealthEntity, {
      component: h.component,
      status: h.status,
      lastOkAt: h.lastOkAt === null ? null : new Date(h.lastOkAt),
      lastCheckAt: new Date(h.lastCheckAt),
      detail: h.detail,
    });
  }

  async list(): Promise<ComponentHealth[]> {
    const rows = await this.db.em().find(ComponentHealthEntity, {}, { orderBy: { component: "asc" } });
    return rows.map((r) => ({
      component: r.component,
      status: r.status,
      lastOkAt: r.lastOkAt ? r.lastOkAt.getTime() : null,
      lastCheckAt: r.lastCheckAt.getTime(),
      detail: r.detail ?? null,
    }));
  }
}

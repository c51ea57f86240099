/** ControlStore on the database: control_setting (pause, mode override, budget counters) and circuit_breaker. */
import type { BreakerRecord, ControlStore, SettingRecord } from "../../core/control/store.js";
import type { EpochMs } from "../../core/types.js";
import { CircuitBreakerEntity, type CircuitBreakerRow, ControlSettingEntity } from "./entities-ops.js";
import type { Database } from "./orm.js";

function toBreaker(r: CircuitBreakerRow): BreakerRecord {
  return {
    accountId: r.accountId,
    state: r.state,
    consecutiveFailures: r.consecutiveFailures,
    openedAt: r.openedAt ? r.openedAt.getTime() : undefined,
    updatedAt: r.updatedAt.getTime(),
    lastError: r.lastError ?? undefined,
  };
}

export class DbControlStore implements ControlStore {
  constructor(private readonly db: Database) {}

  async getSetting(key: string): Promise<SettingRecord | null> {
    const r = await this.db.em().findOne(ControlSettingEntity, { key });
    return r ? { value: r.value, updatedAt: r.updatedAt.getTime(), updatedBy: r.updatedBy } : null;
  }

  async putSetting(key: string, value: unknown, updatedBy: string, at: EpochMs): Promise<void> {
    await this.db
      .em()
      .upsert(ControlSettingEntity, { key, value, updatedBy, updatedAt: new Date(at) }, { onConflictFields: ["key"] });
  }

  async deleteSetting(key: string): Promise<void> {
    await this.db.em().nativeDelete(ControlSettingEntity, { key });
  }

  async getBreaker(accountId: string): Promise<BreakerRecord | null> {
    const r = await this.db.em().findOne(CircuitBreakerEntity, { accountId });
    return r ? toBreaker(r) : null;
  }

  async putBreaker(b: BreakerRecord): Promise<void> {
    await this.db.em().upsert(
      CircuitBreakerEntity,
      {
        accountId: b.accountId,
        state: b.state,
        consecutiveFailures: b.consecutiveFailures,
        openedAt: b.openedAt !== undefined ? new Date(b.openedAt) : null,
        updatedAt: new Date(b.updatedAt),
        lastError: b.lastError ?? null,
      },
      { onConflictFields: ["accountId"] },
    );
  }

  async listBreakers(): Promise<BreakerRecord[]> {
    const rows = await this.db.em().find(CircuitBreakerEntity, {}, { orderBy: { accountId: "asc" } });
    return rows.map(toBreaker);
  }

  async incrementIfBelow(key: string, limit: number, updatedBy: string, at: EpochMs): Promise<number | null> {
    if (limit <= 0) return null;
    // one statement: concurrent callers (two processes) can never both take the last unit
    const rows = (await this.db
      .em()
      .getConnection()
      .execute(
        `insert into "control_setting" ("key", "value", "updated_at", "updated_by") values (?, '1'::jsonb, ?, ?)
         on conflict ("key") do update set "value" = to_jsonb(("control_setting"."value")::text::int + 1),
           "updated_at" = excluded."updated_at", "updated_by" = excluded."updated_by"
         where ("control_setting"."value")::text::int < ?
         returning ("value")::text::int as n`,
        [key, new Date(at), updatedBy, limit],
        "all",
      )) as Array<{ n: number }>;
    return rows.length ? Number(rows[0]?.n) : null;
  }
}

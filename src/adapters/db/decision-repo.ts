import { randomUUID } from "node:crypto";
import type { DecisionStore, InstanceHistory, StoredDecision } from "../../core/fleet/decisions.js";
import type { Decision, Mode } from "../../core/types.js";
import { decisionFromRow, decisionRow } from "./decision-rows.js";
import { DecisionEntity, type DecisionRow } from "./entities.js";
import type { Database } from "./orm.js";

const WEEK = 7 * 24 * 3600_000;
const INSERT_CHUNK = 500;
const HISTORY_CHUNK = 5_000;

interface HistoryRow {
  id: string;
  managed_id: string | null;
  state: string;
  pool_since: Date | string | null;
  last_switch_at: Date | string | null;
}

function toDomain(r: DecisionRow): StoredDecision {
  return {
    ...decisionFromRow(r),
    id: r.id,
    tickAt: r.tickAt.getTime(),
    mode: r.mode === "approve" ? "approve" : "shadow",
    realizedSavingUsd: r.realizedSavingUsd ?? null,
  };
}

export class DbDecisionStore implements DecisionStore {
  constructor(private readonly db: Database) {}

  /**
   * One transaction of multi-row inserts (500 rows a statement) instead of an entity per row through the unit of
   * work: at 10,000 instances the ORM's bookkeeping, not PostgreSQL, was the cost.
   */
  async saveTick(tickAt: number, mode: Mode, decisions: Decision[]): Promise<string[]> {
    const ids = decisions.map(() => randomUUID());
    if (decisions.length === 0) return ids;
    await this.db.em().transactional(async (tx) => {
      const conn = tx.getConnection();
      for (let i = 0; i < decisions.length; i += INSERT_CHUNK) {
        const params: unknown[] = [];
        const values: string[] = [];
        for (let k = i; k < Math.min(i + INSERT_CHUNK, decisions.length); k++) {
          const r = decisionRow(ids[k], decisions[k], mode, tickAt);
          params.push(
            r.id,
            r.tickAt,
            r.instanceId,
            r.managedId ?? null,
            r.accountId,
            r.action,
            r.fromPool,
            r.toPool ?? null,
            r.savingPerHour,
            r.savingPerMonth,
            r.priceSavingPerHour ?? null,
            r.priceSavingPerMonth ?? null,
            r.riskFrom,
            r.riskTo ?? null,
            r.riskFromSource ?? null,
            r.riskToSource ?? null,
            r.launchFailureTo ?? null,
            r.modelId ?? null,
            r.modelName ?? null,
            r.confidence ?? null,
            r.fallback,
            r.strategy,
            JSON.stringify(r.reasons),
            JSON.stringify(r.alternatives),
            r.mode,
            r.createdAt,
          );
          values.push("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)");
        }
        await conn.execute(
          `insert into decision (id, tick_at, instance_id, managed_id, account_id, action, from_pool, to_pool,
             saving_per_hour, saving_per_month, price_saving_per_hour, price_saving_per_month, risk_from, risk_to,
             risk_from_source, risk_to_source, launch_failure_to, model_id, model_name, confidence, fallback,
             strategy, reasons, alternatives, mode, created_at)
           values ${values.join(", ")}`,
          params,
          "run",
          tx.getTransactionContext(),
        );
      }
    });
    return ids;
  }

  /**
   * History per managed instance (keys: managed ids; an instance id is its own managed id on first sighting):
   * its switches are the launches of the replacements in its lineage (managed_instance.last_switch_at, written
   * by the fleet sync), so dwell and the weekly cap hold across replacements.
   */
  async history(managedIds: string[], now: number): Promise<Map<string, InstanceHistory>> {
    const out = new Map<string, InstanceHistory>();
    if (managedIds.length === 0) return out;
    // plain rows of the five columns needed, not entities: at 10,000 instances hydration was the cost; a
    // lineage's rows all fall in the chunk of its managed id, so the per-lineage order holds across chunks
    const conn = this.db.em().getConnection();
    const rows: HistoryRow[] = [];
    for (let i = 0; i < managedIds.length; i += HISTORY_CHUNK) {
      const part = managedIds.slice(i, i + HISTORY_CHUNK);
      const marks = part.map(() => "?").join(", ");
      rows.push(
        ...(await conn.execute<HistoryRow[]>(
          `select id, managed_id, state, pool_since, last_switch_at from managed_instance
           where managed_id in (${marks}) or (managed_id is null and id in (${marks}))
           order by last_seen_at asc, id asc`,
          [...part, ...part],
        )),
      );
    }
    const time = (d: Date | string | null): number | null => (d === null ? null : new Date(d).getTime());
    for (const id of managedIds) out.set(id, { poolSince: null, lastSwitchAt: null, switchesLastWeek: 0 });
    for (const r of rows) {
      const h = out.get(r.managed_id ?? r.id);
      if (!h) continue;
      // the row seen last (the instance running now) holds the pool clock
      if (r.state !== "gone" || h.poolSince === null) h.poolSince = time(r.pool_since) ?? h.poolSince;
      const at = time(r.last_switch_at);
      if (at === null) continue;
      if (h.lastSwitchAt === null || at > h.lastSwitchAt) h.lastSwitchAt = at;
      if (at > now - WEEK && at <= now) h.switchesLastWeek++;
    }
    return out;
  }

  async list(filter: {
    since?: number;
    until?: number;
    action?: string;
    instanceId?: string;
    managedId?: string;
    limit?: number;
  }) {
    const where: Record<string, unknown> = {};
    const tick: Record<string, Date> = {};
    if (filter.since !== undefined) tick.$gte = new Date(filter.since);
    if (filter.until !== undefined) tick.$lt = new Date(filter.until);
    if (Object.keys(tick).length) where.tickAt = tick;
    if (filter.action) where.action = filter.action;
    if (filter.instanceId) where.instanceId = filter.instanceId;
    if (filter.managedId) where.managedId = filter.managedId;
    const rows = await this.db
      .em()
      .find(DecisionEntity, where, { orderBy: { tickAt: "desc", id: "asc" }, limit: filter.limit ?? 10_000 });
    return rows.map(toDomain);
  }

  async setRealized(id: string, savingUsd: number, at: number): Promise<void> {
    await this.db.em().nativeUpdate(DecisionEntity, { id }, { realizedSavingUsd: savingUsd, realizedAt: new Date(at) });
  }

  async get(id: string): Promise<StoredDecision | null> {
    const r = await this.db.em().findOne(DecisionEntity, { id });
    return r ? toDomain(r) : null;
  }
}

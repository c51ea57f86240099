import { randomUUID } from "node:crypto";
import type { DecisionStore, InstanceHistory, StoredDecision } from "../../core/fleet/decisions.js";
import type { Decision, Mode } from "../../core/types.js";
import { decisionFromRow, decisionRow } from "./decision-rows.js";
import { DecisionEntity, type DecisionRow, ManagedInstanceEntity } from "./entities.js";
import type { Database } from "./orm.js";

const WEEK = 7 * 24 * 3600_000;

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

  async saveTick(tickAt: number, mode: Mode, decisions: Decision[]): Promise<string[]> {
    const em = this.db.em();
    const ids: string[] = [];
    await em.transactional(async (tx) => {
      for (const d of decisions) {
        const id = randomUUID();
        ids.push(id);
        tx.create(DecisionEntity, decisionRow(id, d, mode, tickAt));
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
    const rows = await this.db
      .em()
      .find(
        ManagedInstanceEntity,
        { $or: [{ managedId: { $in: managedIds } }, { managedId: null, id: { $in: managedIds } }] },
        { orderBy: { lastSeenAt: "asc", id: "asc" } },
      );
    for (const id of managedIds) out.set(id, { poolSince: null, lastSwitchAt: null, switchesLastWeek: 0 });
    for (const r of rows) {
      const h = out.get(r.managedId ?? r.id);
      if (!h) continue;
      // the row seen last (the instance running now) holds the pool clock
      if (r.state !== "gone" || h.poolSince === null) h.poolSince = r.poolSince?.getTime() ?? h.poolSince;
      const at = r.lastSwitchAt?.getTime() ?? null;
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

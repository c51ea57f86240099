import { randomUUID } from "node:crypto";
import type { DecisionStore, InstanceHistory, StoredDecision } from "../../core/fleet/decisions.js";
import type { Decision, Mode } from "../../core/types.js";
import { decisionFromRow, decisionRow } from "./decision-rows.js";
import { DecisionEntity, type DecisionRow, ManagedInstanceEntity } from "./entities.js";
import { SwitchExecutionEntity } from "./entities-ops.js";
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

  async history(instanceIds: string[], now: number): Promise<Map<string, InstanceHistory>> {
    const out = new Map<string, InstanceHistory>();
    if (instanceIds.length === 0) return out;
    const em = this.db.em();
    const [instances, switches] = await Promise.all([
      em.find(ManagedInstanceEntity, { id: { $in: instanceIds } }),
      em.find(SwitchExecutionEntity, {
        instanceId: { $in: instanceIds },
        newInstanceId: { $ne: null },
        finishedAt: { $gte: new Date(now - WEEK) },
        error: null,
        active: false,
      }),
    ]);
    for (const id of instanceIds) out.set(id, { poolSince: null, lastSwitchAt: null, switchesLastWeek: 0 });
    for (const r of instances) {
      const h = out.get(r.id);
      if (h) {
        h.poolSince = r.poolSince?.getTime() ?? null;
        h.lastSwitchAt = r.lastSwitchAt?.getTime() ?? null;
      }
    }
    for (const s of switches) {
      const h = out.get(s.instanceId);
      if (!h) continue;
      h.switchesLastWeek++;
      const at = s.finishedAt?.getTime() ?? null;
      if (at !== null && (h.lastSwitchAt === null || at > h.lastSwitchAt)) h.lastSwitchAt = at;
    }
    return out;
  }

  async list(filter: { since?: number; until?: number; action?: string; instanceId?: string; limit?: number }) {
    const where: Record<string, unknown> = {};
    const tick: Record<string, Date> = {};
    if (filter.since !== undefined) tick.$gte = new Date(filter.since);
    if (filter.until !== undefined) tick.$lt = new Date(filter.until);
    if (Object.keys(tick).length) where.tickAt = tick;
    if (filter.action) where.action = filter.action;
    if (filter.instanceId) where.instanceId = filter.instanceId;
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

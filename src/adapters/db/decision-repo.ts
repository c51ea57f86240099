import { randomUUID } from "node:crypto";
import type {
  DecisionStore,
  InstanceHistory,
  SaveTickOptions,
  StoredDecision,
  TickSummary,
  UnrealizedSwitch,
} from "../../core/fleet/decisions.js";
import { type Decision, type Mode, parsePoolId, poolId } from "../../core/types.js";
import { decisionFromRow, decisionRow } from "./decision-rows.js";
import { DecisionEntity, type DecisionRow } from "./entities.js";
import type { Database } from "./orm.js";

const WEEK = 7 * 24 * 3600_000;
const INSERT_CHUNK = 500;
const END_CHUNK = 1_000;

type Connection = ReturnType<ReturnType<Database["em"]>["getConnection"]>;

interface HistoryRow {
  id: string;
  managed_id: string | null;
  state: string;
  /** Epoch milliseconds (floor(extract(epoch) × 1000)): no date parsing for 10,000 rows. */
  pool_since: number | null;
  last_switch_at: number | null;
}

function toDomain(r: DecisionRow): StoredDecision {
  return {
    ...decisionFromRow(r),
    id: r.id,
    tickAt: r.tickAt.getTime(),
    mode: r.mode === "approve" ? "approve" : "shadow",
    realizedSavingUsd: r.realizedSavingUsd ?? null,
    endedAt: r.endedAt ? r.endedAt.getTime() : null,
  };
}

/** A standing decision row: what it stands for (changeKey) and where its instance runs. */
interface Standing {
  id: string;
  key: string;
  /** The monthly (price) saving the row was written with. */
  saving: number;
  accountId: string;
  region: string;
}

interface OpenRow {
  id: string;
  mid: string;
  instance_id: string;
  account_id: string;
  action: string;
  from_pool: string;
  to_pool: string | null;
  strategy: string;
  mode: string;
  saving_per_month: number;
  price_saving_per_month: number | null;
}

interface TickRow {
  id: string;
  tick_at: Date | string;
  mode: string;
  instances: number;
  pools: number;
  written: number;
  closed: number;
  by_action: Record<string, number> | string;
  by_strategy: Record<string, number> | string;
  saving_per_hour: number;
  price_saving_per_hour: number;
}

/** What makes a decision a new one for its managed instance (the figures drifting tick by tick do not). */
function changeKey(
  instanceId: string,
  from: string,
  action: string,
  to: string | null,
  strategy: string,
  mode: string,
) {
  return `${instanceId} ${from} ${action} ${to ?? "-"} ${strategy} ${mode}`;
}

/**
 * An advice's monthly saving that moved more than this share from the one its row was written with makes a new
 * row: its recommendation then shows the new figures (refreshed within a few percent, not every cent).
 */
export const FIGURE_REFRESH_SHARE = 0.05;

function figureMoved(action: string, stored: number, now: number): boolean {
  if (action === "STAY") return false;
  return Math.abs(now - stored) > FIGURE_REFRESH_SHARE * Math.max(Math.abs(stored), 1);
}

const json = (v: Record<string, number> | string): Record<string, number> =>
  typeof v === "string" ? (JSON.parse(v) as Record<string, number>) : v;

export class DbDecisionStore implements DecisionStore {
  /**
   * The standing decision per managed instance, as of the tick summary `seq` this process wrote last: reused
   * while no other writer has written a tick since (checked at every tick), else read again.
   */
  private standing: { seq: string; byManaged: Map<string, Standing> } | null = null;

  constructor(private readonly db: Database) {}

  private async loadStanding(conn: Connection, ctx: unknown): Promise<Map<string, Standing>> {
    const [last] = await conn.execute<Array<{ seq: string | number | null }>>(
      "select max(seq) as seq from decision_tick",
      [],
      "all",
      ctx,
    );
    const seq = String(last?.seq ?? "");
    if (this.standing && this.standing.seq === seq) return this.standing.byManaged;
    const rows = await conn.execute<OpenRow[]>(
      `select id, coalesce(managed_id, instance_id) as mid, instance_id, account_id, action, from_pool, to_pool,
         strategy, mode, saving_per_month, price_saving_per_month from decision where ended_at is null
         order by tick_at asc, id asc`,
      [],
      "all",
      ctx,
    );
    const byManaged = new Map<string, Standing>();
    for (const r of rows) {
      // two rows standing for one instance (one written outside a tick): the newest stands, the other ends
      const before = byManaged.get(r.mid);
      if (before) this.orphans.push(before.id);
      byManaged.set(r.mid, {
        id: r.id,
        key: changeKey(r.instance_id, r.from_pool, r.action, r.to_pool, r.strategy, r.mode),
        saving: Number(r.price_saving_per_month ?? r.saving_per_month),
        accountId: r.account_id,
        region: r.from_pool.split("/")[0] ?? "",
      });
    }
    return byManaged;
  }

  /** Rows found standing twice for one managed instance, ended at the next tick. */
  private orphans: string[] = [];

  /**
   * Changes only (see DecisionStore.saveTick), in one transaction: multi-row inserts (500 rows a statement) of the
   * changed decisions, one update ending the rows they replace and those of instances no longer decided, and
   * the tick's summary row. A steady fleet costs two small statements a tick, not a row per instance.
   */
  async saveTick(tickAt: number, mode: Mode, decisions: Decision[], opts: SaveTickOptions = {}): Promise<string[]> {
    const ids = new Array<string>(decisions.length);
    try {
      return await this.db.em().transactional(async (tx) => {
        const conn = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const byManaged = await this.loadStanding(conn, ctx);
        const ended: string[] = this.orphans;
        this.orphans = [];
        const write: number[] = [];
        const decided = new Set<string>();
        const byAction: Record<string, number> = {};
        const byStrategy: Record<string, number> = {};
        let saving = 0;
        let priceSaving = 0;
        for (let k = 0; k < decisions.length; k++) {
          const d = decisions[k];
          byAction[d.action] = (byAction[d.action] ?? 0) + 1;
          byStrategy[d.strategy] = (byStrategy[d.strategy] ?? 0) + 1;
          if (d.action === "SWITCH") {
            saving += d.savingPerHour;
            priceSaving += d.priceSavingPerHour ?? 0;
          }
          const mid = d.managedId ?? d.instanceId;
          decided.add(mid);
          const key = changeKey(d.instanceId, poolId(d.from), d.action, d.to ? poolId(d.to) : null, d.strategy, mode);
          const advised = d.priceSavingPerMonth ?? d.savingPerMonth;
          const now = byManaged.get(mid);
          if (now && now.key === key && !figureMoved(d.action, now.saving, advised)) {
            ids[k] = now.id;
            continue;
          }
          if (now) ended.push(now.id);
          ids[k] = randomUUID();
          write.push(k);
          byManaged.set(mid, { id: ids[k], key, saving: advised, accountId: d.accountId, region: d.from.region });
        }
        const skip = new Set((opts.undiscovered ?? []).map((u) => `${u.accountId} ${u.region}`));
        for (const [mid, s] of byManaged) {
          if (decided.has(mid) || skip.has(`${s.accountId} ${s.region}`)) continue;
          ended.push(s.id);
          byManaged.delete(mid);
        }
        for (let i = 0; i < write.length; i += INSERT_CHUNK) {
          await this.insertRows(conn, ctx, write.slice(i, i + INSERT_CHUNK), ids, decisions, mode, tickAt);
        }
        for (let i = 0; i < ended.length; i += END_CHUNK) {
          const part = ended.slice(i, i + END_CHUNK);
          await conn.execute(
            `update decision set ended_at = ? where ended_at is null and id in (${part.map(() => "?").join(", ")})`,
            [new Date(tickAt), ...part],
            "run",
            ctx,
          );
        }
        const [tick] = await conn.execute<Array<{ seq: string | number }>>(
          `insert into decision_tick (id, tick_at, mode, instances, pools, written, closed, by_action, by_strategy,
             saving_per_hour, price_saving_per_hour)
           values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?) returning seq`,
          [
            randomUUID(),
            new Date(tickAt),
            mode,
            decisions.length,
            opts.pools ?? 0,
            write.length,
            ended.length,
            JSON.stringify(byAction),
            JSON.stringify(byStrategy),
            saving,
            priceSaving,
          ],
          "all",
          ctx,
        );
        this.standing = { seq: String(tick.seq), byManaged };
        return ids;
      });
    } catch (e) {
      // what this process believes stands may not have been written: read it again at the next tick
      this.standing = null;
      throw e;
    }
  }

  private async insertRows(
    conn: Connection,
    ctx: unknown,
    which: number[],
    ids: string[],
    decisions: Decision[],
    mode: Mode,
    tickAt: number,
  ): Promise<void> {
    const params: unknown[] = [];
    const values: string[] = [];
    for (const k of which) {
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
      ctx,
    );
  }

  async ticks(filter: { since?: number; until?: number; limit?: number }): Promise<TickSummary[]> {
    const rows = await this.db
      .em()
      .getConnection()
      .execute<TickRow[]>(
        `select id, tick_at, mode, instances, pools, written, closed, by_action, by_strategy, saving_per_hour,
           price_saving_per_hour from decision_tick where tick_at >= ? and tick_at < ?
         order by tick_at desc, seq desc limit ?`,
        [new Date(filter.since ?? 0), new Date(filter.until ?? Date.UTC(9999, 0, 1)), filter.limit ?? 10_000],
      );
    return rows.map((r: TickRow) => ({
      id: r.id,
      tickAt: new Date(r.tick_at).getTime(),
      mode: r.mode === "approve" ? ("approve" as const) : ("shadow" as const),
      instances: Number(r.instances),
      pools: Number(r.pools),
      written: Number(r.written),
      closed: Number(r.closed),
      byAction: json(r.by_action),
      byStrategy: json(r.by_strategy),
      savingPerHour: Number(r.saving_per_hour),
      priceSavingPerHour: Number(r.price_saving_per_hour),
    }));
  }

  /**
   * History per managed instance (keys: managed ids; an instance id is its own managed id on first sighting):
   * its switches are the launches of the replacements in its lineage (managed_instance.last_switch_at, written
   * by the fleet sync), so dwell and the weekly cap hold across replacements.
   */
  async history(managedIds: string[], now: number): Promise<Map<string, InstanceHistory>> {
    const out = new Map<string, InstanceHistory>();
    if (managedIds.length === 0) return out;
    // plain rows of the five columns needed, not entities (at 10,000 instances hydration was the cost), in one
    // statement whose id list is one JSON parameter (inlined as thousands of values, the SQL text was the cost)
    const rows = await this.db
      .em()
      .getConnection()
      .execute<HistoryRow[]>(
        `with ids as (select jsonb_array_elements_text(?::jsonb) as id)
       select m.id, m.managed_id, m.state, floor(extract(epoch from m.pool_since) * 1000)::float8 as pool_since,
         floor(extract(epoch from m.last_switch_at) * 1000)::float8 as last_switch_at from managed_instance m
       where m.managed_id in (select id from ids) or (m.managed_id is null and m.id in (select id from ids))
       order by m.last_seen_at asc, m.id asc`,
        [JSON.stringify(managedIds)],
      );
    const time = (ms: number | string | null): number | null => (ms === null ? null : Number(ms));
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

  async unrealizedSwitches(until: number, limit: number): Promise<UnrealizedSwitch[]> {
    const rows = await this.db
      .em()
      .getConnection()
      .execute<Array<{ id: string; tick_at: Date | string; from_pool: string; to_pool: string }>>(
        `select id, tick_at, from_pool, to_pool from decision
         where action = 'SWITCH' and realized_saving_usd is null and to_pool is not null and tick_at < ?
         order by tick_at desc, id asc limit ?`,
        [new Date(until), limit],
      );
    return rows.map((r: { id: string; tick_at: Date | string; from_pool: string; to_pool: string }) => ({
      id: r.id,
      tickAt: new Date(r.tick_at).getTime(),
      from: parsePoolId(r.from_pool),
      to: parsePoolId(r.to_pool),
    }));
  }

  async setRealized(id: string, savingUsd: number, at: number): Promise<void> {
    await this.db.em().nativeUpdate(DecisionEntity, { id }, { realizedSavingUsd: savingUsd, realizedAt: new Date(at) });
  }

  async get(id: string): Promise<StoredDecision | null> {
    const r = await this.db.em().findOne(DecisionEntity, { id });
    return r ? toDomain(r) : null;
  }
}

import { type FleetStore, TAG_REPLACES } from "../../core/fleet/discovery.js";
import type { ManagedInstance } from "../../core/types.js";
import { ManagedInstanceEntity, type ManagedInstanceRow } from "./entities.js";
import type { Database } from "./orm.js";

function toDomain(r: ManagedInstanceRow): ManagedInstance {
  return {
    instanceId: r.id,
    accountId: r.accountId,
    region: r.region,
    az: r.az,
    instanceType: r.instanceType,
    lifecycle: r.lifecycle === "on-demand" ? "on-demand" : "spot",
    subnetId: r.subnetId ?? undefined,
    azFlexible: r.azFlexible,
    modelOverride: r.modelOverride ?? undefined,
    managedId: r.managedId ?? r.id,
    launchedAt: r.poolSince?.getTime(),
    tags: r.tags,
  };
}

export class DbFleetStore implements FleetStore {
  constructor(private readonly db: Database) {}

  /**
   * Managed ids of `seen`: kept for known rows; a new row replacing a known one (tag spotwise:replaces)
   * inherits the replaced row's managed id and records its launch as the lineage's last switch.
   */
  private async lineage(
    seen: ManagedInstance[],
    now: number,
  ): Promise<Map<string, { managedId: string; lastSwitchAt: Date | null }>> {
    const out = new Map<string, { managedId: string; lastSwitchAt: Date | null }>();
    if (seen.length === 0) return out;
    const em = this.db.em();
    const ids = seen.map((i) => i.instanceId);
    const replaced = [...new Set(seen.map((i) => i.tags[TAG_REPLACES]).filter((x): x is string => !!x))];
    const rows = await em.find(
      ManagedInstanceEntity,
      { id: { $in: [...new Set([...ids, ...replaced])] } },
      { fields: ["id", "managedId"] },
    );
    const known = new Map(rows.map((r) => [r.id, r.managedId ?? r.id]));
    for (const i of seen) {
      const mine = known.get(i.instanceId);
      if (mine !== undefined) {
        out.set(i.instanceId, { managedId: i.managedId ?? mine, lastSwitchAt: null });
        continue;
      }
      const before = known.get(i.tags[TAG_REPLACES] ?? "");
      out.set(i.instanceId, {
        managedId: i.managedId ?? before ?? i.instanceId,
        lastSwitchAt: before !== undefined ? new Date(i.launchedAt ?? now) : null,
      });
    }
    return out;
  }

  /**
   * One bulk upsert per 500 instances plus one update for the ones not seen, so a fleet of thousands syncs
   * in a few statements. The pool clock (pool_since) restarts when the type or AZ changed. Lineage: see
   * FleetStore.sync.
   */
  async sync(accountId: string, region: string, seen: ManagedInstance[], now: number): Promise<ManagedInstance[]> {
    const conn = this.db.em().getConnection();
    const at = new Date(now);
    const lineage = await this.lineage(seen, now);
    for (let i = 0; i < seen.length; i += 500) {
      const chunk = seen.slice(i, i + 500);
      const params: unknown[] = [];
      const values = chunk.map((inst) => {
        params.push(
          inst.instanceId,
          accountId,
          region,
          inst.az,
          inst.instanceType,
          inst.lifecycle,
          inst.subnetId ?? null,
          inst.azFlexible,
          inst.modelOverride ?? null,
          JSON.stringify(inst.tags),
          new Date(inst.launchedAt ?? now),
          at,
          at,
          lineage.get(inst.instanceId)?.managedId ?? inst.instanceId,
          lineage.get(inst.instanceId)?.lastSwitchAt ?? null,
        );
        return "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'running', ?, ?, ?, ?::timestamptz)";
      });
      await conn.execute(
        `insert into managed_instance (id, account_id, region, az, instance_type, lifecycle, subnet_id, az_flexible,
           model_override, tags, pool_since, state, discovered_at, last_seen_at, managed_id, last_switch_at)
         values ${values.join(", ")}
         on conflict (id) do update set
           managed_id = coalesce(managed_instance.managed_id, excluded.managed_id),
           last_switch_at = coalesce(managed_instance.last_switch_at, excluded.last_switch_at),
           pool_since = case when managed_instance.instance_type <> excluded.instance_type
                               or managed_instance.az <> excluded.az
                             then excluded.last_seen_at else managed_instance.pool_since end,
           account_id = excluded.account_id, region = excluded.region, az = excluded.az,
           instance_type = excluded.instance_type, lifecycle = excluded.lifecycle, subnet_id = excluded.subnet_id,
           az_flexible = excluded.az_flexible, model_override = excluded.model_override, tags = excluded.tags,
           state = 'running', last_seen_at = excluded.last_seen_at`,
        params,
      );
    }
    await conn.execute(
      "update managed_instance set state = 'gone' where account_id = ? and region = ? and state <> 'gone' and last_seen_at < ?",
      [accountId, region, at],
    );
    return seen.map((i) => ({ ...i, managedId: lineage.get(i.instanceId)?.managedId ?? i.instanceId }));
  }

  async list(filter: { accountId?: string } = {}): Promise<ManagedInstance[]> {
    const where: Record<string, unknown> = { state: "running" };
    if (filter.accountId) where.accountId = filter.accountId;
    const rows = await this.db.em().find(ManagedInstanceEntity, where, { orderBy: { id: "asc" } });
    return rows.map(toDomain);
  }

  async get(instanceId: string): Promise<ManagedInstance | null> {
    const r = await this.db.em().findOne(ManagedInstanceEntity, { id: instanceId });
    return r ? toDomain(r) : null;
  }
}

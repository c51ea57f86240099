import { type FleetStore, TAG_REPLACES } from "../../core/fleet/discovery.js";
import { BASE_TYPE_TAG } from "../../core/policy/candidates.js";
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

const CHUNK = 1_000;

const SYNC_COLUMNS =
  "id, account_id, region, az, instance_type, lifecycle, subnet_id, az_flexible, model_override, tags, managed_id, state";

interface SyncRow {
  id: string;
  account_id: string;
  region: string;
  az: string;
  instance_type: string;
  lifecycle: string;
  subnet_id: string | null;
  az_flexible: boolean;
  model_override: string | null;
  tags: Record<string, string> | string;
  managed_id: string | null;
  state: string;
}

function sameTags(stored: Record<string, string> | string, tags: Record<string, string>): boolean {
  const a = typeof stored === "string" ? (JSON.parse(stored) as Record<string, string>) : stored;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(tags).length) return false;
  for (const k of ka) if (a[k] !== tags[k]) return false;
  return true;
}

/** True when writing `inst` would change nothing but last_seen_at. */
function unchanged(r: SyncRow, inst: ManagedInstance, accountId: string, region: string): boolean {
  return (
    r.state === "running" &&
    r.managed_id !== null &&
    r.account_id === accountId &&
    r.region === region &&
    r.az === inst.az &&
    r.instance_type === inst.instanceType &&
    r.lifecycle === inst.lifecycle &&
    r.subnet_id === (inst.subnetId ?? null) &&
    r.az_flexible === inst.azFlexible &&
    r.model_override === (inst.modelOverride ?? null) &&
    sameTags(r.tags, inst.tags)
  );
}

export class DbFleetStore implements FleetStore {
  constructor(private readonly db: Database) {}

  /** Rows of the instances that may be touched by a sync: the region's live rows, `ids` and `replaced`. */
  private async current(accountId: string, region: string, ids: string[]): Promise<Map<string, SyncRow>> {
    const conn = this.db.em().getConnection();
    const out = new Map<string, SyncRow>();
    const live = await conn.execute<SyncRow[]>(
      `select ${SYNC_COLUMNS} from managed_instance where account_id = ? and region = ? and state <> 'gone'`,
      [accountId, region],
    );
    for (const r of live) out.set(r.id, r);
    const missing = [...new Set(ids)].filter((id) => !out.has(id));
    for (let i = 0; i < missing.length; i += CHUNK) {
      const part = missing.slice(i, i + CHUNK);
      const rows = await conn.execute<SyncRow[]>(
        `select ${SYNC_COLUMNS} from managed_instance where id in (${part.map(() => "?").join(", ")})`,
        part,
      );
      for (const r of rows) out.set(r.id, r);
    }
    return out;
  }

  /**
   * Managed ids of `seen`: kept for known rows; a new row replacing a known one (tag spotwise:replaces)
   * inherits the replaced row's managed id and records its launch as the lineage's last switch.
   */
  private lineage(
    seen: ManagedInstance[],
    rows: Map<string, SyncRow>,
    now: number,
  ): Map<string, { managedId: string; baseType: string | null; lastSwitchAt: Date | null }> {
    const out = new Map<string, { managedId: string; baseType: string | null; lastSwitchAt: Date | null }>();
    const tagsOf = (r: SyncRow): Record<string, string> =>
      typeof r.tags === "string" ? (JSON.parse(r.tags) as Record<string, string>) : r.tags;
    for (const i of seen) {
      const mine = rows.get(i.instanceId);
      if (mine !== undefined) {
        out.set(i.instanceId, {
          managedId: i.managedId ?? mine.managed_id ?? mine.id,
          baseType: i.tags[BASE_TYPE_TAG] || tagsOf(mine)[BASE_TYPE_TAG] || null,
          lastSwitchAt: null,
        });
        continue;
      }
      const before = rows.get(i.tags[TAG_REPLACES] ?? "");
      out.set(i.instanceId, {
        managedId: i.managedId ?? (before ? (before.managed_id ?? before.id) : i.instanceId),
        // the first instance's type keeps bounding the candidates: moves never drift upwards
        baseType: i.tags[BASE_TYPE_TAG] || (before ? tagsOf(before)[BASE_TYPE_TAG] || before.instance_type : null),
        lastSwitchAt: before !== undefined ? new Date(i.launchedAt ?? now) : null,
      });
    }
    return out;
  }

  /**
   * Compares before it writes: one read of the region's rows, then a bulk upsert (500 a statement) of only the
   * instances that are new or changed, so a steady fleet of thousands costs a read and one row (the region's
   * listing time in fleet_scan), not thousands of row writes. `last_seen_at` is the time of a running row's last
   * change; instances of the region not seen are marked gone with the region's previous listing as last seen. The pool clock
   * (pool_since) restarts when the type or AZ changed. Lineage: see FleetStore.sync.
   */
  async sync(accountId: string, region: string, seen: ManagedInstance[], now: number): Promise<ManagedInstance[]> {
    const conn = this.db.em().getConnection();
    const at = new Date(now);
    const replaced = seen.map((i) => i.tags[TAG_REPLACES]).filter((x): x is string => !!x);
    const rows = await this.current(accountId, region, [...seen.map((i) => i.instanceId), ...replaced]);
    const lineage = this.lineage(seen, rows, now);
    const resolved = seen.map((i): ManagedInstance => {
      const l = lineage.get(i.instanceId);
      const base = l?.baseType;
      return {
        ...i,
        managedId: l?.managedId ?? i.instanceId,
        tags: base && base !== i.tags[BASE_TYPE_TAG] ? { ...i.tags, [BASE_TYPE_TAG]: base } : i.tags,
      };
    });
    const changed: ManagedInstance[] = [];
    for (const inst of resolved) {
      const r = rows.get(inst.instanceId);
      if (!r || !unchanged(r, inst, accountId, region)) changed.push(inst);
    }
    for (let i = 0; i < changed.length; i += 500) {
      const chunk = changed.slice(i, i + 500);
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
    const seenIds = new Set(seen.map((i) => i.instanceId));
    const gone = [...rows.values()]
      .filter((r) => r.account_id === accountId && r.region === region && r.state !== "gone" && !seenIds.has(r.id))
      .map((r) => r.id);
    for (let i = 0; i < gone.length; i += CHUNK) {
      const part = gone.slice(i, i + CHUNK);
      // last seen at the region's previous listing (it ran then, it does not now)
      await conn.execute(
        `update managed_instance set state = 'gone', last_seen_at = greatest(last_seen_at,
           (select scanned_at from fleet_scan where account_id = ? and region = ?))
         where state <> 'gone' and id in (${part.map(() => "?").join(", ")})`,
        [accountId, region, ...part],
      );
    }
    await conn.execute(
      `insert into fleet_scan (account_id, region, scanned_at) values (?, ?, ?)
       on conflict (account_id, region) do update set scanned_at = greatest(fleet_scan.scanned_at, excluded.scanned_at)`,
      [accountId, region, at],
    );
    return resolved;
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

import type { FleetStore } from "../../core/fleet/discovery.js";
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
    launchedAt: r.poolSince?.getTime(),
    tags: r.tags,
  };
}

export class DbFleetStore implements FleetStore {
  constructor(private readonly db: Database) {}

  async sync(accountId: string, region: string, seen: ManagedInstance[], now: number): Promise<void> {
    const em = this.db.em();
    await em.transactional(async (tx) => {
      const existing = await tx.find(ManagedInstanceEntity, { accountId, region });
      const byId = new Map(existing.map((r) => [r.id, r]));
      for (const i of seen) {
        const row = byId.get(i.instanceId);
        if (row) {
          if (row.instanceType !== i.instanceType || row.az !== i.az) row.poolSince = new Date(now);
          Object.assign(row, {
            az: i.az,
            instanceType: i.instanceType,
            lifecycle: i.lifecycle,
            subnetId: i.subnetId ?? null,
            azFlexible: i.azFlexible,
            modelOverride: i.modelOverride ?? null,
            tags: i.tags,
            state: "running",
            lastSeenAt: new Date(now),
          });
        } else {
          tx.create(ManagedInstanceEntity, {
            id: i.instanceId,
            accountId,
            region,
            az: i.az,
            instanceType: i.instanceType,
            lifecycle: i.lifecycle,
            subnetId: i.subnetId ?? null,
            azFlexible: i.azFlexible,
            modelOverride: i.modelOverride ?? null,
            tags: i.tags,
            poolSince: new Date(i.launchedAt ?? now),
            state: "running",
            discoveredAt: new Date(now),
            lastSeenAt: new Date(now),
          });
        }
      }
      const seenIds = new Set(seen.map((i) => i.instanceId));
      for (const r of existing) if (!seenIds.has(r.id) && r.state !== "gone") r.state = "gone";
    });
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

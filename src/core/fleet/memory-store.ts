import { BASE_TYPE_TAG } from "../policy/candidates.js";
import type { ManagedInstance } from "../types.js";
import { type FleetStore, managedIdOf, TAG_REPLACES } from "./discovery.js";

type Row = ManagedInstance & { gone?: boolean; lastSwitchAt?: number; poolSince?: number };

/** The fleet table in memory, for tests and fakes; resolves lineage as DbFleetStore does. */
export class MemoryFleetStore implements FleetStore {
  private readonly rows = new Map<string, Row>();
  async sync(accountId: string, region: string, seen: ManagedInstance[], now: number): Promise<ManagedInstance[]> {
    for (const [id, r] of this.rows)
      if (r.accountId === accountId && r.region === region) this.rows.set(id, { ...r, gone: true });
    const out: ManagedInstance[] = [];
    for (const i of seen) {
      const known = this.rows.get(i.instanceId);
      let managedId = i.managedId ?? known?.managedId;
      let lastSwitchAt = known?.lastSwitchAt;
      let base = i.tags[BASE_TYPE_TAG] || known?.tags[BASE_TYPE_TAG];
      if (!known) {
        const before = this.rows.get(i.tags[TAG_REPLACES] ?? "");
        if (before) {
          managedId ??= managedIdOf(before);
          lastSwitchAt = i.launchedAt ?? now;
          base ||= before.tags[BASE_TYPE_TAG] || before.instanceType;
        }
      }
      const tags = base && base !== i.tags[BASE_TYPE_TAG] ? { ...i.tags, [BASE_TYPE_TAG]: base } : i.tags;
      const resolved = { ...i, tags, managedId: managedId ?? i.instanceId };
      this.rows.set(i.instanceId, { ...resolved, lastSwitchAt });
      out.push(resolved);
    }
    return out;
  }
  async list(filter: { accountId?: string } = {}): Promise<ManagedInstance[]> {
    return [...this.rows.values()]
      .filter((r) => !r.gone && (!filter.accountId || r.accountId === filter.accountId))
      .map(({ gone: _g, lastSwitchAt: _l, poolSince: _p, ...r }) => r)
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }
  async get(instanceId: string): Promise<ManagedInstance | null> {
    const r = this.rows.get(instanceId);
    if (!r) return null;
    const { gone: _g, lastSwitchAt: _l, poolSince: _p, ...rest } = r;
    return rest;
  }
  /** Switch times of a managed instance's lineage (what DbDecisionStore.history reads from the table). */
  switchTimes(managedId: string): number[] {
    return [...this.rows.values()]
      .filter((r) => managedIdOf(r) === managedId && r.lastSwitchAt !== undefined)
      .map((r) => r.lastSwitchAt as number)
      .sort((a, b) => a - b);
  }
}

import type { ManagedInstance } from "../types.js";
import type { FleetStore } from "./discovery.js";

/** The fleet table in memory, for tests and fakes. */
export class MemoryFleetStore implements FleetStore {
  private readonly rows = new Map<string, ManagedInstance & { gone?: boolean }>();
  async sync(accountId: string, region: string, seen: ManagedInstance[]): Promise<void> {
    for (const [id, r] of this.rows)
      if (r.accountId === accountId && r.region === region) this.rows.set(id, { ...r, gone: true });
    for (const i of seen) this.rows.set(i.instanceId, { ...i });
  }
  async list(filter: { accountId?: string } = {}): Promise<ManagedInstance[]> {
    return [...this.rows.values()]
      .filter((r) => !r.gone && (!filter.accountId || r.accountId === filter.accountId))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }
  async get(instanceId: string): Promise<ManagedInstance | null> {
    return this.rows.get(instanceId) ?? null;
  }
}

/** In-memory ModelRepository for tests and the daemon's fakes; same semantics as the DB adapter. */
import { CodedError } from "../errors.js";
import type { ModelRecord, ModelRepository, ModelStatus, NewModel, StatusChange } from "./model-repository.js";

export class MemoryModelRepository implements ModelRepository {
  private readonly rows = new Map<string, ModelRecord>();
  private readonly files = new Map<string, Uint8Array>();

  async insert(m: NewModel): Promise<ModelRecord> {
    const same = [...this.rows.values()].find((r) => r.identity === m.identity);
    if (same) {
      throw new CodedError(
        "conflict",
        `this model is already registered as ${same.name} v${same.version} (${same.id})`,
      );
    }
    return this.put(m, "candidate");
  }

  async insertSeedChampion(m: NewModel): Promise<ModelRecord | null> {
    const rows = [...this.rows.values()];
    if (rows.some((r) => r.name === m.name || r.status === "champion" || r.identity === m.identity)) return null;
    return this.put(m, "champion");
  }

  async findByIdentity(identity: string): Promise<ModelRecord | null> {
    const r = [...this.rows.values()].find((x) => x.identity === identity);
    return r ? { ...r } : null;
  }

  async setIdentity(id: string, identity: string): Promise<void> {
    const r = this.rows.get(id);
    if (r && r.identity === null) r.identity = identity;
  }

  private put(m: NewModel, status: ModelStatus): ModelRecord {
    const version = 1 + Math.max(0, ...[...this.rows.values()].filter((r) => r.name === m.name).map((r) => r.version));
    const rec: ModelRecord = {
      id: m.id,
      name: m.name,
      version,
      sha256: m.sha256,
      sizeBytes: m.sizeBytes,
      contractVersion: m.contractVersion,
      featureNames: [...m.featureNames],
      metrics: { ...m.metrics },
      status,
      addedBy: m.addedBy,
      createdAt: m.at,
      statusChangedAt: m.at,
      previousChampionId: null,
      identity: m.identity,
      lineage: { ...m.lineage },
    };
    this.rows.set(rec.id, rec);
    this.files.set(rec.id, m.content);
    return { ...rec };
  }

  async get(id: string): Promise<ModelRecord | null> {
    const r = this.rows.get(id);
    return r ? { ...r } : null;
  }

  async list(filter: { statuses?: ModelStatus[]; name?: string } = {}): Promise<ModelRecord[]> {
    return [...this.rows.values()]
      .filter(
        (r) => (!filter.statuses || filter.statuses.includes(r.status)) && (!filter.name || r.name === filter.name),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version))
      .map((r) => ({ ...r }));
  }

  async content(id: string): Promise<Uint8Array | null> {
    return this.files.get(id) ?? null;
  }

  async transition(changes: StatusChange[], at: number): Promise<void> {
    for (const c of changes) {
      const r = this.rows.get(c.id);
      if (!r || r.status !== c.from) {
        throw new CodedError("conflict", `model ${c.id} is no longer ${c.from}: someone changed it, look again`);
      }
    }
    const after = new Map([...this.rows.values()].map((r) => [r.id, r.status]));
    for (const c of changes) after.set(c.id, c.to);
    if ([...after.values()].filter((s) => s === "champion").length > 1) {
      throw new CodedError("conflict", "there would be two champions");
    }
    for (const c of changes) {
      const r = this.rows.get(c.id) as ModelRecord;
      r.status = c.to;
      r.statusChangedAt = at;
      if (c.previousChampionId !== undefined) r.previousChampionId = c.previousChampionId;
    }
  }
}

/**
 * Read caches for a process that is its database's only writer (`spotwise replay`: PGlite in memory, one
 * process). Every tick reads the registered models and the operator's controls several times and almost never
 * writes them; the cache answers the reads and any write through the same store clears it, so a reader never
 * sees a stale value. Not for shared databases: another replica's writes would not clear it.
 */
import type { BreakerRecord, ControlStore, SettingRecord } from "../core/control/store.js";
import type {
  ModelRecord,
  ModelRepository,
  ModelStatus,
  NewModel,
  StatusChange,
} from "../core/models/model-repository.js";
import type { EpochMs } from "../core/types.js";

/** A map of read results that any write clears. */
class ReadCache {
  private readonly values = new Map<string, Promise<unknown>>();
  read<T>(key: string, load: () => Promise<T>): Promise<T> {
    let v = this.values.get(key) as Promise<T> | undefined;
    if (!v) {
      v = load();
      this.values.set(key, v);
      // a failed read is not remembered
      v.catch(() => this.values.delete(key));
    }
    return v;
  }
  async write<T>(run: () => Promise<T>): Promise<T> {
    this.values.clear();
    try {
      return await run();
    } finally {
      this.values.clear();
    }
  }
}

const copySetting = (s: SettingRecord | null): SettingRecord | null => (s ? { ...s } : null);
const copyBreaker = (b: BreakerRecord | null): BreakerRecord | null => (b ? { ...b } : null);

export class CachedControlStore implements ControlStore {
  private readonly cache = new ReadCache();
  constructor(private readonly inner: ControlStore) {}
  async getSetting(key: string): Promise<SettingRecord | null> {
    return copySetting(await this.cache.read(`s:${key}`, () => this.inner.getSetting(key)));
  }
  putSetting(key: string, value: unknown, updatedBy: string, at: EpochMs): Promise<void> {
    return this.cache.write(() => this.inner.putSetting(key, value, updatedBy, at));
  }
  deleteSetting(key: string): Promise<void> {
    return this.cache.write(() => this.inner.deleteSetting(key));
  }
  async getBreaker(accountId: string): Promise<BreakerRecord | null> {
    return copyBreaker(await this.cache.read(`b:${accountId}`, () => this.inner.getBreaker(accountId)));
  }
  putBreaker(record: BreakerRecord): Promise<void> {
    return this.cache.write(() => this.inner.putBreaker(record));
  }
  async listBreakers(): Promise<BreakerRecord[]> {
    return (await this.cache.read("breakers", () => this.inner.listBreakers())).map((b) => ({ ...b }));
  }
  incrementIfBelow(key: string, limit: number, updatedBy: string, at: EpochMs): Promise<number | null> {
    return this.cache.write(() => this.inner.incrementIfBelow(key, limit, updatedBy, at));
  }
}

export class CachedModelRepository implements ModelRepository {
  private readonly cache = new ReadCache();
  constructor(private readonly inner: ModelRepository) {}
  insert(model: NewModel): Promise<ModelRecord> {
    return this.cache.write(() => this.inner.insert(model));
  }
  insertSeedChampion(model: NewModel): Promise<ModelRecord | null> {
    return this.cache.write(() => this.inner.insertSeedChampion(model));
  }
  findByIdentity(identity: string): Promise<ModelRecord | null> {
    return this.inner.findByIdentity(identity);
  }
  setIdentity(id: string, identity: string): Promise<void> {
    return this.cache.write(() => this.inner.setIdentity(id, identity));
  }
  get(id: string): Promise<ModelRecord | null> {
    return this.inner.get(id);
  }
  async list(filter: { statuses?: ModelStatus[]; name?: string } = {}): Promise<ModelRecord[]> {
    const key = `list:${filter.name ?? ""}:${(filter.statuses ?? []).join(",")}`;
    return (await this.cache.read(key, () => this.inner.list(filter))).map((m) => ({ ...m }));
  }
  content(id: string): Promise<Uint8Array | null> {
    return this.inner.content(id);
  }
  transition(changes: StatusChange[], at: number): Promise<void> {
    return this.cache.write(() => this.inner.transition(changes, at));
  }
}

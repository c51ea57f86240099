/** Persistence of the operator's controls: settings (pause, mode override, budget counters) and circuit breakers. */
import type { EpochMs } from "../types.js";

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerRecord {
  accountId: string;
  state: BreakerState;
  consecutiveFailures: number;
  openedAt?: EpochMs;
  updatedAt: EpochMs;
  lastError?: string;
}

export interface SettingRecord {
  value: unknown;
  updatedAt: EpochMs;
  updatedBy: string;
}

export interface ControlStore {
  getSetting(key: string): Promise<SettingRecord | null>;
  putSetting(key: string, value: unknown, updatedBy: string, at: EpochMs): Promise<void>;
  deleteSetting(key: string): Promise<void>;
  getBreaker(accountId: string): Promise<BreakerRecord | null>;
  putBreaker(record: BreakerRecord): Promise<void>;
  listBreakers(): Promise<BreakerRecord[]>;
  /** Atomically add 1 to the integer setting `key` when it is below `limit`: the new value, or null at the limit. */
  incrementIfBelow(key: string, limit: number, updatedBy: string, at: EpochMs): Promise<number | null>;
}

/** In-process ControlStore for tests and the simulated cloud demo. */
export class MemoryControlStore implements ControlStore {
  private readonly settings = new Map<string, SettingRecord>();
  private readonly breakers = new Map<string, BreakerRecord>();

  async getSetting(key: string): Promise<SettingRecord | null> {
    const s = this.settings.get(key);
    return s ? { ...s } : null;
  }
  async putSetting(key: string, value: unknown, updatedBy: string, at: EpochMs): Promise<void> {
    this.settings.set(key, { value, updatedBy, updatedAt: at });
  }
  async deleteSetting(key: string): Promise<void> {
    this.settings.delete(key);
  }
  async getBreaker(accountId: string): Promise<BreakerRecord | null> {
    const b = this.breakers.get(accountId);
    return b ? { ...b } : null;
  }
  async putBreaker(record: BreakerRecord): Promise<void> {
    this.breakers.set(record.accountId, { ...record });
  }
  async listBreakers(): Promise<BreakerRecord[]> {
    return [...this.breakers.values()].map((b) => ({ ...b }));
  }
  async incrementIfBelow(key: string, limit: number, updatedBy: string, at: EpochMs): Promise<number | null> {
    const current = Number(this.settings.get(key)?.value ?? 0);
    if (current >= limit) return null;
    this.settings.set(key, { value: current + 1, updatedBy, updatedAt: at });
    return current + 1;
  }
}

/** Where decisions are kept, and the per-instance history the policy's churn guards need. */
import type { Decision, Mode } from "../types.js";

export interface StoredDecision extends Decision {
  id: string;
  tickAt: number;
  mode: Mode;
  realizedSavingUsd: number | null;
}

export interface InstanceHistory {
  /** When the managed instance entered its current pool (launch or last switch). */
  poolSince: number | null;
  lastSwitchAt: number | null;
  switchesLastWeek: number;
}

export interface DecisionStore {
  /** Persists one tick's decisions in one transaction; returns their ids in order. */
  saveTick(tickAt: number, mode: Mode, decisions: Decision[]): Promise<string[]>;
  /** History per managed instance (ManagedInstance.managedId): it follows the workload across switches. */
  history(managedIds: string[], now: number): Promise<Map<string, InstanceHistory>>;
  list(filter: {
    since?: number;
    until?: number;
    action?: string;
    instanceId?: string;
    /** Every decision of a managed instance, whichever EC2 instance it ran on. */
    managedId?: string;
    limit?: number;
  }): Promise<StoredDecision[]>;
  setRealized(id: string, savingUsd: number, at: number): Promise<void>;
  get(id: string): Promise<StoredDecision | null>;
}

/** Where decisions are kept, and the per-instance history the policy's churn guards need. */
import type { Decision, Mode, PoolKey } from "../types.js";

export interface StoredDecision extends Decision {
  id: string;
  tickAt: number;
  mode: Mode;
  realizedSavingUsd: number | null;
  /** The first tick at which the decision no longer stood; null while it stands. */
  endedAt: number | null;
}

export interface InstanceHistory {
  /** When the managed instance entered its current pool (launch or last switch). */
  poolSince: number | null;
  lastSwitchAt: number | null;
  switchesLastWeek: number;
}

/** One decide tick in a line: its counts and the fleet's totals (kept for every tick, unlike decisions). */
export interface TickSummary {
  id: string;
  tickAt: number;
  mode: Mode;
  instances: number;
  pools: number;
  /** Decision rows written at this tick (changed decisions) and rows that stopped standing. */
  written: number;
  closed: number;
  byAction: Record<string, number>;
  byStrategy: Record<string, number>;
  /** Sums over the tick's SWITCH decisions, USD/h: risk-adjusted saving and price saving. */
  savingPerHour: number;
  priceSavingPerHour: number;
}

export interface SaveTickOptions {
  /** Pools in play at the tick (for the summary). */
  pools?: number;
  /** Accounts and regions not discovered at this tick: the standing decisions of their instances stay standing. */
  undiscovered?: ReadonlyArray<{ accountId: string; region: string }>;
}

export interface DecisionStore {
  /**
   * Persists one tick in one transaction, as changes: a decision is written only when it differs from the one
   * standing for its managed instance (instance, pool, action, target, strategy or mode), the standing decisions
   * of instances no longer decided end, and one summary of the tick is written. Returns, in order, the id of the
   * row each decision stands in (written now or at an earlier tick).
   */
  saveTick(tickAt: number, mode: Mode, decisions: Decision[], opts?: SaveTickOptions): Promise<string[]>;
  /** Tick summaries in [since, until), newest first. */
  ticks(filter: { since?: number; until?: number; limit?: number }): Promise<TickSummary[]>;
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
  /**
   * SWITCH advice decided before `until` whose realized saving is not set yet, newest first, at most `limit`: what
   * the label job prices. Only the fields it needs, so that a history of thousands of labelled switches costs
   * nothing to skip.
   */
  unrealizedSwitches(until: number, limit: number): Promise<UnrealizedSwitch[]>;
  setRealized(id: string, savingUsd: number, at: number): Promise<void>;
  get(id: string): Promise<StoredDecision | null>;
}

/** A SWITCH decision row whose realized saving is still to be priced. */
export interface UnrealizedSwitch {
  id: string;
  tickAt: number;
  from: PoolKey;
  to: PoolKey;
}

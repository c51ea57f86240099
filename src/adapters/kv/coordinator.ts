/**
 * node-cron's RunCoordinator on top of the LeaseStore port: of several replicas, the one that takes the
 * lease for a fire runs it. Keys are per task and fire time, so each fire runs once across the fleet.
 * The lease is left to expire (not released on completion): a replica whose clock lags a little must not
 * re-run a fire another one already finished.
 */
import type { LeaseStore } from "../../core/ports/kv.js";

export interface RunCoordinatorLike {
  shouldRun(key: string, ttlMs: number): Promise<boolean>;
}

export class LeaseRunCoordinator implements RunCoordinatorLike {
  constructor(
    private readonly leases: LeaseStore,
    private readonly replicaId: string,
  ) {}
  async shouldRun(key: string, ttlMs: number): Promise<boolean> {
    return this.leases.acquire(`cron:${key}`, this.replicaId, Math.max(ttlMs, 1000));
  }
}

/**
 * The reconcile tick: drives every unfinished switch saga forward or back from real EC2 state, so a saga left
 * in flight by a crash, a lost response or a failed terminate finishes without waiting for a restart. Per-saga
 * leases (per instance, owned by one runner) keep two replicas off one saga; the scheduler's run coordinator
 * keeps two replicas off one tick. Sagas in needs_attention wait for a person (`spotwise resume`).
 */
import type { SwitchSagaRunner } from "../../core/switch/saga.js";
import type { Job } from "../job.js";

export class ReconcileJob implements Job {
  readonly name = "reconcile" as const;
  constructor(private readonly d: { runner: Pick<SwitchSagaRunner, "resumeAll"> }) {}

  async tick(_now: number): Promise<Record<string, unknown>> {
    const outcomes = await this.d.runner.resumeAll();
    const byState: Record<string, number> = {};
    for (const o of outcomes) byState[o.state] = (byState[o.state] ?? 0) + 1;
    return {
      sagas: outcomes.length,
      ...byState,
      unfinished: outcomes.filter((o) => o.state === "in_flight").map((o) => `${o.sagaId}: ${o.code}`),
    };
  }
}

/**
 * node-cron 4 triggers the jobs: configurable expressions and time zone, no overlapping runs of one job,
 * and with several replicas a run coordinator (leases in Redis) elects one replica per fire.
 */
import cron, { type ScheduledTask } from "node-cron";
import type { RunCoordinatorLike } from "../adapters/kv/coordinator.js";
import type { Logger } from "../adapters/log/logger.js";
import type { Job, JobName } from "./job.js";
import type { JobRunner } from "./runner.js";

export interface ScheduleSpec {
  timezone: string;
  expressions: Record<JobName, string>;
}

export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: {
      jobs: Job[];
      runner: JobRunner;
      spec: ScheduleSpec;
      log: Logger;
      /** Present when several replicas share a Redis: one replica per fire. */
      coordinator?: RunCoordinatorLike;
      /** Lease per fire, ms (default 10 minutes). */
      leaseMs?: number;
    },
  ) {}

  start(): void {
    const { jobs, spec, coordinator, log } = this.deps;
    for (const job of jobs) {
      const expr = spec.expressions[job.name];
      if (!cron.validate(expr)) throw new Error(`schedule.${job.name}: invalid cron expression "${expr}"`);
      const task = cron.schedule(expr, (ctx) => this.fire(job, ctx.date), {
        name: `spotwise:${job.name}`,
        timezone: spec.timezone,
        noOverlap: true,
        distributed: coordinator !== undefined,
        runCoordinator: coordinator,
        distributedLease: this.deps.leaseMs ?? 10 * 60_000,
      });
      this.tasks.push(task);
      log.info({ job: job.name, cron: expr, timezone: spec.timezone, distributed: !!coordinator }, "job scheduled");
    }
  }

  private fire(job: Job, at: Date): Promise<unknown> {
    const p = this.deps.runner.run(job, at.getTime());
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  /** Stops scheduling and waits for running ticks (bounded by `timeoutMs`). */
  async stop(timeoutMs = 25_000): Promise<void> {
    for (const t of this.tasks) await t.stop();
    for (const t of this.tasks) await t.destroy();
    this.tasks.length = 0;
    const pending = [...this.inFlight];
    if (pending.length === 0) return;
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}

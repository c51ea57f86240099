/**
 * node-cron 4 triggers the jobs: configurable expressions and time zone, and no job ever overlaps itself,
 * in this process or across replicas:
 *  - with several replicas a run coordinator (leases in Redis) elects one replica per fire;
 *  - each run holds the job's run lease for its whole duration, renewed while it runs, so a slow run on one
 *    replica makes the next fire on another replica skip instead of starting a second run. A run that loses
 *    its lease (renewal refused, or not renewed before it expired) is cancelled at its next safe point.
 * Skipped fires are counted by reason; node-cron's own messages go through the process logger as JSON; the
 * `scheduler` health component turns down when fires are skipped because coordination fails.
 * `stop()` stops taking fires, aborts in-flight runs through their AbortSignal and waits for them (bounded).
 */
import { randomUUID } from "node:crypto";
import cron, { type Logger as CronLogger, type ScheduledTask } from "node-cron";
import type { RunCoordinatorLike } from "../adapters/kv/coordinator.js";
import type { Logger } from "../adapters/log/logger.js";
import type { HealthService } from "../core/health/health.js";
import type { LeaseStore } from "../core/ports/kv.js";
import type { Job, JobName } from "./job.js";
import type { JobRunner } from "./runner.js";

export interface ScheduleSpec {
  timezone: string;
  expressions: Record<JobName, string>;
}

export type SkipReason = "not-elected" | "coordinator-error" | "overlap" | "running-elsewhere" | "missed" | "stopping";

export interface SchedulerMetrics {
  skipped: { inc(labels: { job: string; reason: SkipReason }): void };
}

export interface SchedulerDeps {
  jobs: Job[];
  runner: JobRunner;
  spec: ScheduleSpec;
  log: Logger;
  /** Run leases: one run of a job at a time across every replica sharing this store. */
  leases: LeaseStore;
  /** This replica, in lease values and logs. */
  owner: string;
  /** Present when several replicas share a Redis: one replica per fire. */
  coordinator?: RunCoordinatorLike;
  /** Lease per fire, ms (default 10 minutes). */
  fireLeaseMs?: number;
  /** Run lease ttl, ms (default 60 s); renewed every third of it while the run lasts. */
  runLeaseMs?: number;
  metrics?: SchedulerMetrics;
  health?: HealthService;
}

interface InFlight {
  job: string;
  controller: AbortController;
  done: Promise<unknown>;
}

export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly inFlight = new Set<InFlight>();
  private stopping = false;
  private coordinationError: unknown = null;
  private readonly coordinator: RunCoordinatorLike | undefined;

  constructor(private readonly deps: SchedulerDeps) {
    const inner = deps.coordinator;
    // node-cron reports a coordinator failure as a skipped fire without the error: keep it for health and logs
    this.coordinator = inner && {
      shouldRun: async (key, ttlMs) => {
        try {
          const allowed = await inner.shouldRun(key, ttlMs);
          if (this.coordinationError !== null) {
            this.coordinationError = null;
            this.deps.log.info("run coordination works again");
            await this.deps.health?.ok("scheduler", "run coordination recovered").catch(() => undefined);
          }
          return allowed;
        } catch (e) {
          this.coordinationError = e;
          throw e;
        }
      },
    };
  }

  /** Validates every expression first (all problems in one error), then schedules the jobs. */
  start(): void {
    const { jobs, spec, log } = this.deps;
    const coordinator = this.coordinator;
    const invalid = jobs
      .map((j) => ({ name: j.name, expr: spec.expressions[j.name] }))
      .filter((j) => !cron.validate(j.expr ?? ""));
    if (invalid.length) {
      throw new Error(
        `invalid cron expression${invalid.length > 1 ? "s" : ""}: ${invalid.map((j) => `schedule.${j.name} "${j.expr}"`).join(", ")}`,
      );
    }
    const logger = cronLogger(log);
    for (const job of jobs) {
      const expr = spec.expressions[job.name];
      const task = cron.schedule(expr, (ctx) => this.fire(job, ctx.date), {
        name: `spotwise:${job.name}`,
        timezone: spec.timezone,
        noOverlap: true,
        distributed: coordinator !== undefined,
        runCoordinator: coordinator,
        distributedLease: this.deps.fireLeaseMs ?? 10 * 60_000,
        logger,
      });
      task.on("execution:skipped", (ctx) =>
        this.skipped(job, ctx.reason ?? "not-elected", ctx.error ?? this.coordinationError),
      );
      task.on("execution:overlap", () => this.skipped(job, "overlap"));
      task.on("execution:missed", () => this.skipped(job, "missed"));
      this.tasks.push(task);
      log.info({ job: job.name, cron: expr, timezone: spec.timezone, distributed: !!coordinator }, "job scheduled");
    }
  }

  private skipped(job: Job, reason: SkipReason, error?: unknown): void {
    this.deps.metrics?.skipped.inc({ job: job.name, reason });
    if (reason === "coordinator-error") {
      const why = error instanceof Error ? error.message : String(error ?? "unknown error");
      this.deps.log.warn({ job: job.name, reason, error: why }, "fire skipped: cannot coordinate with other replicas");
      this.deps.health?.fail("scheduler", `fires skipped: run coordination failed (${why})`).catch(() => undefined);
    } else if (reason !== "not-elected") {
      this.deps.log.info({ job: job.name, reason }, "fire skipped");
    }
  }

  private fire(job: Job, at: Date): Promise<unknown> {
    if (this.stopping) {
      this.skipped(job, "stopping");
      return Promise.resolve();
    }
    const controller = new AbortController();
    const entry: InFlight = { job: job.name, controller, done: Promise.resolve() };
    entry.done = this.runHoldingLease(job, at, controller).finally(() => this.inFlight.delete(entry));
    this.inFlight.add(entry);
    return entry.done;
  }

  private async runHoldingLease(job: Job, at: Date, controller: AbortController): Promise<void> {
    const { leases, log } = this.deps;
    const key = `run:${job.name}`;
    const owner = `${this.deps.owner}#${randomUUID().slice(0, 8)}`;
    const ttl = this.deps.runLeaseMs ?? 60_000;
    let acquired: boolean;
    try {
      acquired = await leases.acquire(key, owner, ttl);
    } catch (e) {
      this.skipped(job, "coordinator-error", e);
      return;
    }
    if (!acquired) {
      this.skipped(job, "running-elsewhere");
      return;
    }
    let renewedAt = Date.now();
    const renew = setInterval(
      () => {
        leases
          .renew(key, owner, ttl)
          .then((ok) => {
            if (ok) renewedAt = Date.now();
            else controller.abort(new Error(`lost the ${job.name} run lease to another replica`));
          })
          .catch((e: unknown) => {
            log.warn({ err: e, job: job.name }, "could not renew the run lease");
            if (Date.now() - renewedAt >= ttl) {
              controller.abort(new Error(`could not renew the ${job.name} run lease before it expired`));
            }
          });
      },
      Math.max(Math.floor(ttl / 3), 10),
    );
    try {
      await this.deps.runner.run(job, at.getTime(), controller.signal);
    } finally {
      clearInterval(renew);
      await leases.release(key, owner).catch((e: unknown) => {
        log.warn({ err: e, job: job.name }, "could not release the run lease; it expires on its own");
      });
    }
  }

  /** Job names with a run in progress in this process. */
  running(): string[] {
    return [...this.inFlight].map((f) => f.job);
  }

  /**
   * Stops taking fires, cancels running ticks through their AbortSignal and waits for them to reach a safe
   * point, at most `timeoutMs`. Resolves true when nothing is running any more.
   */
  async stop(timeoutMs = 25_000, reason = "shutting down"): Promise<boolean> {
    this.stopping = true;
    for (const t of this.tasks) await t.stop();
    for (const t of this.tasks) await t.destroy();
    this.tasks.length = 0;
    const pending = [...this.inFlight];
    if (pending.length === 0) return true;
    for (const f of pending) f.controller.abort(new Error(`cancelled: ${reason}`));
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      Promise.allSettled(pending.map((f) => f.done)).then(() => true),
      new Promise<false>((r) => {
        timer = setTimeout(() => r(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return settled;
  }
}

/** node-cron's messages as JSON log lines through the process logger. */
function cronLogger(log: Logger): CronLogger {
  const child = log.child({ component: "node-cron" });
  const write = (level: "debug" | "info" | "warn" | "error", message: string | Error, err?: Error) => {
    if (message instanceof Error) child[level]({ err: message }, message.message);
    else if (err) child[level]({ err }, message);
    else child[level](message);
  };
  return {
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m, e) => write("error", m, e),
    debug: (m, e) => write("debug", m, e),
  };
}

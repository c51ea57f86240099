/**
 * Runs one tick of a job with the bookkeeping every tick needs: a tick record (ok or failed with the
 * reason), metrics, scheduler health, and a log line. A failing tick never takes the daemon down.
 */
import type { Logger } from "../adapters/log/logger.js";
import type { HealthService } from "../core/health/health.js";
import type { Clock } from "../core/ports/clock.js";
import type { Job, TickLog, TickRecord } from "./job.js";

export interface TickMetrics {
  ticks: { inc(labels: { job: string; outcome: string }): void };
  tickDuration: { observe(labels: { job: string }, seconds: number): void };
}

export class JobRunner {
  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      tickLog: TickLog;
      metrics: TickMetrics;
      health: HealthService;
    },
  ) {}

  async run(job: Job, now = this.deps.clock.now()): Promise<TickRecord> {
    const { clock, log, tickLog, metrics, health } = this.deps;
    const startedAt = clock.now();
    const started = performance.now();
    let record: TickRecord;
    try {
      const stats = await job.tick(now);
      record = { job: job.name, startedAt, finishedAt: clock.now(), status: "ok", error: null, stats };
      log.info({ job: job.name, stats, tickAt: new Date(now).toISOString() }, "tick ok");
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      record = { job: job.name, startedAt, finishedAt: clock.now(), status: "failed", error, stats: {} };
      log.error({ job: job.name, err: e, tickAt: new Date(now).toISOString() }, "tick failed");
    }
    metrics.ticks.inc({ job: job.name, outcome: record.status });
    metrics.tickDuration.observe({ job: job.name }, (performance.now() - started) / 1000);
    // bookkeeping must not turn a finished tick into a crash when the database is the thing that is down
    await tickLog.record(record).catch((e: unknown) => log.warn({ err: e, job: job.name }, "could not record tick"));
    await health
      .ok("scheduler", `${job.name} ${record.status} at ${new Date(record.finishedAt).toISOString()}`)
      .catch(() => undefined);
    return record;
  }
}

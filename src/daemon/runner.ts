/**
 * Runs one tick of a job with the bookkeeping every tick needs: a tick record written when it starts (so a
 * process killed mid-tick leaves a trace) and completed when it ends (ok, failed with the reason, or cancelled
 * by shutdown), metrics, scheduler health and a log line. A failing tick never takes the daemon down.
 */
import type { Logger } from "../adapters/log/logger.js";
import type { HealthService } from "../core/health/health.js";
import type { Clock } from "../core/ports/clock.js";
import type { Job, TickLog, TickRecord } from "./job.js";

export interface TickMetrics {
  ticks: { inc(labels: { job: string; outcome: string }): void };
  tickDuration: { observe(labels: { job: string }, seconds: number): void };
  /** Unix time (s) of the job's last successful tick. */
  lastSuccess?: { set(labels: { job: string }, seconds: number): void };
  /** Ticks running now, per job. */
  running?: { inc(labels: { job: string }): void; dec(labels: { job: string }): void };
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

  async run(job: Job, now = this.deps.clock.now(), signal?: AbortSignal): Promise<TickRecord> {
    const { clock, log, tickLog, metrics, health } = this.deps;
    const startedAt = clock.now();
    const started = performance.now();
    const tickAt = new Date(now).toISOString();
    // bookkeeping must not turn a tick into a crash when the database is the thing that is down
    const id = await tickLog.start(job.name, startedAt).catch((e: unknown) => {
      log.warn({ err: e, job: job.name }, "could not record tick start");
      return null;
    });
    log.info({ job: job.name, tickAt }, "tick started");
    metrics.running?.inc({ job: job.name });
    let record: TickRecord;
    try {
      signal?.throwIfAborted();
      const stats = await job.tick(now, signal);
      record = { job: job.name, startedAt, finishedAt: clock.now(), status: "ok", error: null, stats };
      log.info({ job: job.name, stats, tickAt }, "tick ok");
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (signal?.aborted) {
        const why = reasonOf(signal);
        record = { job: job.name, startedAt, finishedAt: clock.now(), status: "cancelled", error: why, stats: {} };
        log.warn({ job: job.name, tickAt, reason: why }, "tick cancelled at a safe point");
      } else {
        record = { job: job.name, startedAt, finishedAt: clock.now(), status: "failed", error, stats: {} };
        log.error({ job: job.name, err: e, tickAt }, "tick failed");
      }
    } finally {
      metrics.running?.dec({ job: job.name });
    }
    metrics.ticks.inc({ job: job.name, outcome: record.status });
    metrics.tickDuration.observe({ job: job.name }, (performance.now() - started) / 1000);
    if (record.status === "ok") metrics.lastSuccess?.set({ job: job.name }, (record.finishedAt ?? startedAt) / 1000);
    if (id !== null) {
      await tickLog
        .finish(id, record)
        .catch((e: unknown) => log.warn({ err: e, job: job.name }, "could not record tick"));
    }
    await health
      .ok("scheduler", `${job.name} ${record.status} at ${new Date(record.finishedAt ?? startedAt).toISOString()}`)
      .catch(() => undefined);
    return record;
  }
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return typeof r === "string" ? r : "cancelled";
}

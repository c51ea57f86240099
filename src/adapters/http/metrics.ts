/**
 * Prometheus metrics (prom-client) on a registry owned by the process's composition root, not the
 * library's global one.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly ticks = new Counter({
    name: "spotwise_ticks_total",
    help: "Job ticks by job and outcome",
    labelNames: ["job", "outcome"] as const,
    registers: [this.registry],
  });
  readonly tickDuration = new Histogram({
    name: "spotwise_tick_duration_seconds",
    help: "Duration of job ticks",
    labelNames: ["job"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: "spotwise_decisions_total",
    help: "Decisions by action",
    labelNames: ["action"] as const,
    registers: [this.registry],
  });
  readonly switches = new Counter({
    name: "spotwise_switches_total",
    help: "Switch sagas by outcome",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly ec2Calls = new Counter({
    name: "spotwise_ec2_calls_total",
    help: "EC2 API calls by operation",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });
  readonly ec2Throttles = new Counter({
    name: "spotwise_ec2_throttles_total",
    help: "EC2 API calls throttled by AWS",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });
  readonly modelLatency = new Histogram({
    name: "spotwise_model_inference_seconds",
    help: "Batch inference latency per model",
    labelNames: ["model"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly modelOutOfRange = new Gauge({
    name: "spotwise_model_rows_out_of_range",
    help: "Pools of the last scored tick with a feature outside the deciding model's training range",
    labelNames: ["model"] as const,
    registers: [this.registry],
  });
  readonly breakerOpen = new Gauge({
    name: "spotwise_circuit_breaker_open",
    help: "1 when the account's circuit breaker is open (or half-open: 0.5), 0 when closed",
    labelNames: ["account"] as const,
    registers: [this.registry],
    collect: () => this.collectFrom("breakers"),
  });
  readonly breakerState = new Gauge({
    name: "spotwise_circuit_breaker_state",
    help: "1 for the state each account's circuit breaker is in (closed, open, half-open)",
    labelNames: ["account", "state"] as const,
    registers: [this.registry],
    collect: () => this.collectFrom("breakers"),
  });
  readonly skippedFires = new Counter({
    name: "spotwise_scheduler_skipped_fires_total",
    help: "Cron fires not run, by job and reason (not-elected: another replica runs it; running-elsewhere: the job's previous run still holds its lease; overlap: still running here; coordinator-error: Redis unreachable; missed: the event loop was blocked; stopping: shutdown)",
    labelNames: ["job", "reason"] as const,
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: "spotwise_job_last_success_timestamp_seconds",
    help: "Unix time of the last successful tick of each job in this process",
    labelNames: ["job"] as const,
    registers: [this.registry],
  });
  readonly running = new Gauge({
    name: "spotwise_job_running",
    help: "Ticks of each job running now in this process",
    labelNames: ["job"] as const,
    registers: [this.registry],
  });
  readonly sagas = new Gauge({
    name: "spotwise_switch_sagas",
    help: "Switch sagas in flight or waiting for a person (needs_attention), by persisted state (read at scrape time)",
    labelNames: ["state"] as const,
    registers: [this.registry],
    collect: () => this.collectFrom("sagas"),
  });

  private readonly sources = new Map<string, () => Promise<void>>();
  /** One read per source per scrape, shared by the gauges it feeds (prom-client collects them in parallel). */
  private readonly reading = new Map<string, Promise<void>>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Registers a scrape-time source for gauges read from the database (breakers, sagas). A failing source
   * leaves its gauges as they were: /metrics must answer while the database is down.
   */
  source(name: "breakers" | "sagas", read: () => Promise<void>): void {
    this.sources.set(name, read);
  }

  private collectFrom(name: string): Promise<void> {
    const current = this.reading.get(name);
    if (current) return current;
    const read = this.sources.get(name);
    if (!read) return Promise.resolve();
    const p = read()
      .catch(() => undefined)
      .finally(() => this.reading.delete(name));
    this.reading.set(name, p);
    return p;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

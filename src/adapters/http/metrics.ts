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
    help: "1 when the account's circuit breaker is open (or half-open: 0.5)",
    labelNames: ["account"] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * Metric hooks around services whose code lives elsewhere, so every declared metric is fed without the domain
 * knowing about Prometheus:
 *  - switch outcomes from the audit trail the saga already writes (`switch.done`, `switch.rolled_back` …);
 *  - model inference time around every loaded model runner;
 *  - breaker and saga states read from the database when /metrics is scraped.
 */
import type { Metrics } from "../adapters/http/metrics.js";
import type { ControlService } from "../core/control/service.js";
import type { AuditEvent, AuditLog } from "../core/ports/audit.js";
import type { ModelLoader, ModelRunner } from "../core/ports/model-runner.js";
import type { SagaStore } from "../core/switch/types.js";

/** Audit actions that end a switch saga, and the outcome label they count as. */
export const SWITCH_OUTCOMES: Record<string, string> = {
  "switch.done": "done",
  "switch.rolled_back": "rolled_back",
  "switch.needs_attention": "needs_attention",
  "switch.refused": "refused",
  // a roll-forward ends with switch.done: counted once, as done
};

/** Counts switch outcomes as the saga records them in the audit trail. */
export function countingSwitches(audit: AuditLog, metrics: Metrics): AuditLog {
  return {
    async record(event: AuditEvent): Promise<void> {
      await audit.record(event);
      const outcome = SWITCH_OUTCOMES[event.action];
      if (outcome) metrics.switches.inc({ outcome });
    },
    list: (filter) => audit.list(filter),
  };
}

/** Times every batch inference of every model the loader loads. */
export function timedModels(loader: ModelLoader, metrics: Metrics): ModelLoader {
  return {
    async load(input): Promise<ModelRunner> {
      const runner = await loader.load(input);
      return {
        get modelId() {
          return runner.modelId;
        },
        get name() {
          return runner.name;
        },
        get contractVersion() {
          return runner.contractVersion;
        },
        async predict(features, rows, cols) {
          const end = metrics.modelLatency.startTimer({ model: runner.name });
          try {
            return await runner.predict(features, rows, cols);
          } finally {
            end();
          }
        },
        close: () => runner.close(),
      };
    },
  };
}

const BREAKER_VALUE = { closed: 0, "half-open": 0.5, open: 1 } as const;

/** Breaker and saga gauges, read when /metrics is scraped. */
export function databaseGauges(
  metrics: Metrics,
  deps: { control: Pick<ControlService, "status">; sagas: Pick<SagaStore, "listActive" | "listNeedsAttention"> },
): void {
  metrics.source("breakers", async () => {
    const { breakers } = await deps.control.status();
    metrics.breakerOpen.reset();
    metrics.breakerState.reset();
    for (const b of breakers) {
      metrics.breakerOpen.set({ account: b.accountId }, BREAKER_VALUE[b.state]);
      for (const state of Object.keys(BREAKER_VALUE)) {
        metrics.breakerState.set({ account: b.accountId, state }, b.state === state ? 1 : 0);
      }
    }
  });
  metrics.source("sagas", async () => {
    const sagas = new Map<string, string>();
    for (const s of [...(await deps.sagas.listActive()), ...(await deps.sagas.listNeedsAttention())]) {
      sagas.set(s.id, s.state);
    }
    metrics.sagas.reset();
    const counts = new Map<string, number>();
    for (const state of sagas.values()) counts.set(state, (counts.get(state) ?? 0) + 1);
    for (const [state, n] of counts) metrics.sagas.set({ state }, n);
  });
}

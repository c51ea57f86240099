import { describe, expect, it } from "vitest";
import { Metrics } from "../adapters/http/metrics.js";
import { ControlService } from "../core/control/service.js";
import { MemoryControlStore } from "../core/control/store.js";
import { MemoryAuditLog } from "../core/ports/audit.js";
import { ManualClock } from "../core/ports/clock.js";
import type { ModelLoader } from "../core/ports/model-runner.js";
import type { SagaRecord } from "../core/switch/types.js";
import { countingSwitches, databaseGauges, timedModels } from "./instrument.js";

const line = (text: string, prefix: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith(prefix))
    .sort();

describe("metric hooks", () => {
  it("counts switch outcomes from the audit events the saga writes", async () => {
    const metrics = new Metrics();
    const inner = new MemoryAuditLog();
    const audit = countingSwitches(inner, metrics);
    for (const action of [
      "switch.started",
      "switch.done",
      "switch.done",
      "switch.rolled_back",
      "switch.refused",
      "switch.needs_attention",
      "switch.rolled_forward",
    ]) {
      await audit.record({ at: 1, actor: "saga:x", action });
    }
    expect(inner.events).toHaveLength(7);
    expect(line(await metrics.text(), "spotwise_switches_total{")).toEqual([
      'spotwise_switches_total{outcome="done"} 2',
      'spotwise_switches_total{outcome="needs_attention"} 1',
      'spotwise_switches_total{outcome="refused"} 1',
      'spotwise_switches_total{outcome="rolled_back"} 1',
    ]);
  });

  it("times every inference of every loaded model", async () => {
    const metrics = new Metrics();
    const loader: ModelLoader = {
      load: async ({ modelId, name }) => ({
        modelId,
        name,
        contractVersion: "v1",
        predict: async (_f, rows) => new Float32Array(rows).fill(0.1),
        close: async () => {},
      }),
    };
    const runner = await timedModels(loader, metrics).load({ modelId: "m1", name: "gbt", bytes: new Uint8Array() });
    expect(runner).toMatchObject({ modelId: "m1", name: "gbt", contractVersion: "v1" });
    expect(Array.from(await runner.predict(new Float32Array(6), 2, 3))).toEqual([0.1, 0.1].map(Math.fround));
    await runner.predict(new Float32Array(3), 1, 3);
    expect(await metrics.text()).toContain('spotwise_model_inference_seconds_count{model="gbt"} 2');
  });

  it("reads breaker and saga states at scrape time, and still answers when the database does not", async () => {
    const metrics = new Metrics();
    const clock = new ManualClock(Date.parse("2026-11-30T12:00:00Z"));
    const control = new ControlService(new MemoryControlStore(), new MemoryAuditLog(), clock, {
      defaultMode: "approve",
      breakerThreshold: 1,
      breakerCooldownMs: 3_600_000,
      dailyBudget: 10,
    });
    await control.recordFailure("111111111111", "launch failed");
    await control.recordSuccess("222222222222");
    const saga = (id: string, state: string) => ({ id, state }) as unknown as SagaRecord;
    let down = false;
    databaseGauges(metrics, {
      control,
      sagas: {
        listActive: async () => {
          if (down) throw new Error("database unreachable");
          return [saga("a", "imaging"), saga("b", "imaging"), saga("c", "verifying")];
        },
        listNeedsAttention: async () => [saga("d", "needs_attention")],
      },
    });
    const text = await metrics.text();
    expect(text).toContain('spotwise_circuit_breaker_open{account="111111111111"} 1');
    expect(text).toContain('spotwise_circuit_breaker_state{account="111111111111",state="open"} 1');
    expect(text).toContain('spotwise_switch_sagas{state="imaging"} 2');
    expect(text).toContain('spotwise_switch_sagas{state="verifying"} 1');
    expect(text).toContain('spotwise_switch_sagas{state="needs_attention"} 1');
    clock.advance(2 * 3_600_000);
    expect(await metrics.text()).toContain('spotwise_circuit_breaker_open{account="111111111111"} 0.5');
    down = true;
    expect(await metrics.text()).toContain('spotwise_switch_sagas{state="imaging"} 2');
  });
});

import { describe, expect, it } from "vitest";
import { ControlService } from "../core/control/service.js";
import { MemoryControlStore } from "../core/control/store.js";
import { CodedError } from "../core/errors.js";
import { HealthService, MemoryHealthStore } from "../core/health/health.js";
import { MemoryModelRepository } from "../core/models/memory-model-repo.js";
import { ModelRegistry } from "../core/models/registry.js";
import type { ModelSummary as CoreSummary } from "../core/models/validate.js";
import { MemoryAuditLog } from "../core/ports/audit.js";
import { ManualClock } from "../core/ports/clock.js";
import { controlOps, experimentsView, healthOps, registryOps } from "./wiring.js";

describe("wiring the real core services into BotServices", () => {
  it("registryOps: add (validated), list, show, promote, rollback, reject", async () => {
    const clock = new ManualClock();
    const validate = async (bytes: Uint8Array): Promise<CoreSummary> => {
      if (bytes[0] !== 8) throw new CodedError("model_invalid", "not an ONNX model");
      return {
        sha256: String(bytes.join("")).padEnd(64, "0"),
        sizeBytes: bytes.length,
        contractVersion: "v1",
        featureNames: [],
        input: { name: "x", width: 1 },
        output: { name: "p" } as unknown as CoreSummary["output"],
        producer: "test",
        metadata: {},
        golden: [],
      };
    };
    const ops = registryOps(
      new ModelRegistry({ repo: new MemoryModelRepository(), audit: new MemoryAuditLog(), clock, validate }),
    );
    const a = await ops.addFromBytes({ name: "a", bytes: Uint8Array.from([8, 1]), actor: "slack:U1", source: "x" });
    expect(a).toMatchObject({ name: "a", version: 1, status: "candidate", addedBy: "slack:U1" });
    await expect(
      ops.addFromBytes({ name: "b", bytes: Uint8Array.from([1]), actor: "slack:U1", source: "x" }),
    ).rejects.toMatchObject({
      code: "model_invalid",
    });
    await ops.addFromBytes({ name: "b", bytes: Uint8Array.from([8, 2]), actor: "slack:U1", source: "x" });
    expect((await ops.promote("a", "slack:U1")).status).toBe("champion");
    expect((await ops.promote("b", "slack:U1")).name).toBe("b");
    expect((await ops.rollback("slack:U1")).name).toBe("a");
    expect((await ops.reject("b", "slack:U1", "worse")).status).toBe("rejected");
    expect((await ops.list()).map((m) => `${m.name}:${m.status}`).sort()).toEqual(["a:champion", "b:rejected"]);
    expect((await ops.show("a")).id).toBe(a.id);
  });

  it("controlOps: pause with reason, resume, mode override", async () => {
    const control = new ControlService(new MemoryControlStore(), new MemoryAuditLog(), new ManualClock(), {
      defaultMode: "shadow",
      breakerThreshold: 3,
      breakerCooldownMs: 3600_000,
      dailyBudget: 10,
    });
    const ops = controlOps(control);
    expect(await ops.state()).toEqual({ paused: false, pausedReason: undefined, pausedBy: undefined, mode: "shadow" });
    expect(await ops.pause("slack:U1", "maintenance")).toMatchObject({
      paused: true,
      pausedReason: "maintenance",
      pausedBy: "slack:U1",
    });
    expect((await ops.resume("slack:U1")).paused).toBe(false);
    // SPOTWISE_MODE=shadow is a ceiling: approve is refused and the mode stays shadow
    await expect(ops.setMode("approve", "slack:U1")).rejects.toThrow(/SPOTWISE_MODE=shadow/);
    expect((await ops.state()).mode).toBe("shadow");
  });

  it("experimentsView: names the candidate that beats the champion", () => {
    const row = (name: string, status: string, auc: number) => ({
      modelId: name,
      name,
      version: 1,
      status,
      auc,
      brier: 0.1,
      log_loss: 0.3,
      n: 500,
      positives: 40,
      decisionsMade: 0,
      wouldDiffer: 0,
      forgoneSavingPerHour: 0,
      avoidedDisruptions: 0,
    });
    const view = experimentsView(
      {
        since: null,
        labelled: 500,
        riskCeiling: 0.5,
        decisionsCompared: 0,
        models: [row("old", "champion", 0.7), row("new", "candidate", 0.8)],
      },
      1,
    );
    expect(view.summary).toBe("new v1 beats the champion old v1 on AUC (0.800 vs 0.700, 500 labelled)");
    expect(view.rows.map((r) => r.model)).toEqual(["old v1", "new v1"]);
  });

  it("healthOps: the 8 components, AWS per account, unknown when never reported", async () => {
    const clock = new ManualClock(1_000_000);
    const health = new HealthService(new MemoryHealthStore(), clock);
    await health.ok("database");
    await health.ok("aws:123456789012");
    clock.advance(60_000);
    await health.fail("aws:210987654321", "AccessDenied on sts:AssumeRole");
    const c = await healthOps(health).components();
    expect(c.map((x) => `${x.label}=${x.status}`)).toEqual([
      "database=ok",
      "redis=unknown",
      "aws 123456789012=ok",
      "aws 210987654321=down",
      "scraper=unknown",
      "model=unknown",
      "scheduler=unknown",
      "slack=unknown",
      "circuit breakers=unknown",
    ]);
    expect(c[0].lastOkAt).toBe(1_000_000);
    expect(c[3].detail).toBe("AccessDenied on sts:AssumeRole");
  });
});

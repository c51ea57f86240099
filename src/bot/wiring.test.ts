import { describe, expect, it } from "vitest";
import type { BreakerView } from "../core/control/service.js";
import { ControlService } from "../core/control/service.js";
import { MemoryControlStore } from "../core/control/store.js";
import { CodedError } from "../core/errors.js";
import { FEATURE_CONTRACT_VERSION, FEATURE_NAMES } from "../core/features/contract.js";
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
        identity: String(bytes.join("")).padEnd(64, "1"),
        lineage: {
          trainingDataSha256: null,
          codeCommit: null,
          libraries: null,
          parameters: null,
          split: null,
          trainedAt: null,
        },
        sizeBytes: bytes.length,
        contractVersion: FEATURE_CONTRACT_VERSION,
        featureNames: [...FEATURE_NAMES],
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

  it("experimentsView: names the candidate that beats the champion on the same rows, beyond the interval", () => {
    const row = (name: string, status: string, auc: number, brierCi: [number, number] | null) => ({
      modelId: name,
      name,
      version: 1,
      status,
      auc,
      brier: 0.1,
      log_loss: 0.3,
      ece: 0.02,
      calibration: [],
      n: 500,
      positives: 40,
      unknown: 0,
      pending: 0,
      paired: brierCi
        ? {
            n: 480,
            nEff: 120,
            blocks: 40,
            auc,
            championAuc: 0.7,
            brierDiff: (brierCi[0] + brierCi[1]) / 2,
            brierCi,
            logLossDiff: -0.01,
            logLossCi: [-0.02, 0] as [number, number],
          }
        : null,
      decisionsMade: 0,
      wouldDiffer: 0,
      forgoneSavingUsd: 0,
      forgoneHours: 0,
      avoidedDisruptions: 0,
    });
    const report = (models: ReturnType<typeof row>[]) => ({
      since: null,
      until: 1,
      labelled: 500,
      unknown: 12,
      pending: 0,
      riskCeiling: 0.5,
      decisionsCompared: 0,
      championId: "old",
      models,
    });
    const view = experimentsView(
      report([row("old", "champion", 0.7, null), row("new", "candidate", 0.8, [-0.02, -0.004])]),
      1,
    );
    expect(view.summary).toBe(
      "new v1 beats the champion old v1 on the same 480 outcomes: Brier -0.0120 (95% CI [-0.0200, -0.0040]), AUC 0.800 vs 0.700; 12 with no observed outcome not scored",
    );
    expect(view.rows.map((r) => r.model)).toEqual(["old v1", "new v1"]);
    // a higher AUC whose interval includes no difference is no verdict
    const tie = experimentsView(
      report([row("old", "champion", 0.7, null), row("new", "candidate", 0.8, [-0.02, 0.01])]),
      1,
    );
    expect(tie.summary).toMatch(/^no challenger beats the champion old v1 beyond the interval/);
  });

  it("healthOps: the 8 components, AWS per account, unknown when never reported", async () => {
    const clock = new ManualClock(1_000_000);
    const health = new HealthService(new MemoryHealthStore(), clock);
    await health.ok("database");
    await health.ok("aws:123456789012");
    clock.advance(60_000);
    await health.fail("aws:210987654321", "AccessDenied on sts:AssumeRole");
    const c = await healthOps(health, { clock }).components();
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

  it("healthOps: nothing stays unknown; breakers and model read live; stale reports degrade; no connection details", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 12));
    const startedAt = clock.now();
    const health = new HealthService(new MemoryHealthStore(), clock);
    await health.ok("database", "postgres postgres://spotwise:****@db.internal:5432/spotwise");
    await health.ok("redis", "connected");
    await health.ok("scraper", "12 new points");
    await health.ok("scheduler", "scrape ok");
    await health.ok("slack", "http mode");
    let breakers: BreakerView[] = [];
    let champion: { name: string; version: number } | null = { name: "gbt", version: 3 };
    const ops = healthOps(health, {
      clock,
      startedAt,
      accounts: [],
      breakers: async () => breakers,
      champion: async () => champion,
    });
    const byLabel = async () => new Map((await ops.components()).map((x) => [x.label, x]));

    let c = await byLabel();
    expect(c.get("circuit breakers")).toMatchObject({ status: "ok", detail: "closed (no switch failures recorded)" });
    expect(c.get("model")).toMatchObject({ status: "ok", detail: "champion gbt v3" });
    expect(c.get("aws")).toMatchObject({ status: "degraded" });
    expect(String(c.get("aws")?.detail)).toContain("no AWS accounts configured");
    expect(c.get("database")?.status).toBe("ok");
    expect(JSON.stringify([...c.values()])).not.toMatch(/db\.internal|spotwise:|5432/);
    expect([...c.values()].every((x) => x.status === "ok" || x.component === "aws")).toBe(true);

    // a component never reported is unknown only during the grace period after start
    const fresh = new HealthService(new MemoryHealthStore(), clock);
    const opsFresh = healthOps(fresh, { clock, startedAt, accounts: ["123456789012"] });
    expect((await opsFresh.components()).find((x) => x.label === "scraper")?.status).toBe("unknown");
    clock.advance(16 * 60_000);
    const later = (await opsFresh.components()).find((x) => x.label === "scraper");
    expect(later).toMatchObject({ status: "down" });
    expect(String(later?.detail)).toContain("spotwise daemon");

    // reports that stopped coming in are stale; an open breaker and a missing champion are said so
    clock.advance(30 * 60_000);
    breakers = [{ accountId: "123456789012", state: "open", consecutiveFailures: 3, lastError: "capacity" }];
    champion = null;
    c = await byLabel();
    expect(c.get("scraper")).toMatchObject({ status: "degraded", detail: "no report for 46 min" });
    expect(c.get("circuit breakers")?.status).toBe("down");
    expect(String(c.get("circuit breakers")?.detail)).toContain("open for 123456789012");
    expect(c.get("model")).toMatchObject({ status: "degraded" });
    // a champion that the scorer reports failing is not "ok" because the registry has one
    champion = { name: "gbt", version: 3 };
    await health.fail("model", "champion gbt v3 failed to load: keeping the last good one", "degraded");
    c = await byLabel();
    expect(c.get("model")).toMatchObject({ status: "degraded", detail: expect.stringContaining("failed to load") });
  });
});

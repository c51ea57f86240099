/**
 * Checks at every load, on real ONNX files: a champion whose file no longer matches the contract (here: a 24-hour
 * label horizon) is refused when loaded, promoted or rolled back to; the last good champion keeps deciding and a
 * health alert says why. And the drift guard: rows outside a model's training ranges are counted and, when the
 * model says it is not valid there, scored by the fallback.
 */
import { describe, expect, it } from "vitest";
import { type FixtureName, fixtureBytes } from "../../../test/adapters/onnx-fixtures.js";
import { FEATURE_COUNT, FEATURE_NAMES, featureIndex } from "../../core/features/contract.js";
import { ActiveModels, type ModelHealth } from "../../core/models/active-models.js";
import { ChampionChallenger } from "../../core/models/champion-challenger.js";
import { advisorBucketHourlyRisk } from "../../core/models/heuristic.js";
import { MemoryModelRepository } from "../../core/models/memory-model-repo.js";
import { MemoryPredictionRepository } from "../../core/models/prediction-repository.js";
import { ModelRegistry } from "../../core/models/registry.js";
import { DEFAULT_MAX_MODEL_BYTES, sha256Hex, validateModel } from "../../core/models/validate.js";
import { MemoryAuditLog } from "../../core/ports/audit.js";
import { ManualClock } from "../../core/ports/clock.js";
import { OnnxModelLoader } from "./runner.js";

const T0 = Date.UTC(2026, 10, 30, 12);
const loader = new OnnxModelLoader();

function setup() {
  const repo = new MemoryModelRepository();
  const clock = new ManualClock(T0);
  const registry = new ModelRegistry({
    repo,
    audit: new MemoryAuditLog(),
    clock,
    validate: (b) =>
      validateModel(b, { describe: (x) => loader.describe(x), loader, maxBytes: DEFAULT_MAX_MODEL_BYTES }),
    describe: (b) => loader.describe(b),
  });
  const alerts: string[] = [];
  const health: ModelHealth = {
    ok: async (c, d) => {
      alerts.push(`ok ${c}: ${d}`);
    },
    fail: async (c, r, s) => {
      alerts.push(`${s} ${c}: ${r}`);
    },
  };
  return { repo, registry, clock, health, alerts };
}

/** A file registered before the current checks existed: stored as is, without validation. */
async function legacy(repo: MemoryModelRepository, name: string, fixture: FixtureName) {
  const bytes = fixtureBytes(fixture);
  return repo.insert({
    id: crypto.randomUUID(),
    name,
    sha256: sha256Hex(bytes),
    identity: sha256Hex(bytes),
    lineage: {},
    sizeBytes: bytes.length,
    contractVersion: "spotwise-features/1",
    featureNames: [...FEATURE_NAMES],
    metrics: {},
    addedBy: "t",
    at: T0,
    content: bytes,
  });
}

describe("checks at every load", () => {
  it("the loader refuses a stale target: a 24-hour horizon, or class 1 = available", async () => {
    await expect(loader.load({ modelId: "x", name: "x", bytes: fixtureBytes("wrong_horizon") })).rejects.toThrow(
      /label horizon of 86400000 ms but spotwise decides on the next hour/,
    );
    await expect(loader.load({ modelId: "x", name: "x", bytes: fixtureBytes("wrong_class") })).rejects.toThrow(
      /class 1 = "capacity_available" but spotwise reads class 1 as "capacity_lost"/,
    );
  });

  it("a stale champion is refused at load: the last good champion keeps running and health says why", async () => {
    const { repo, registry, health, alerts } = setup();
    const good = (await registry.add({ bytes: fixtureBytes("prob2"), name: "trees", addedBy: "t" })).model;
    await repo.transition([{ id: good.id, from: "candidate", to: "champion" }], T0);
    const active = new ActiveModels(registry, loader, health);
    expect((await active.refresh()).champion?.record.id).toBe(good.id);

    const stale = await legacy(repo, "daily", "wrong_horizon");
    await repo.transition(
      [
        { id: good.id, from: "champion", to: "retired" },
        { id: stale.id, from: "candidate", to: "champion", previousChampionId: good.id },
      ],
      T0,
    );
    const snap = await active.refresh();
    expect(snap.champion?.record.id).toBe(good.id);
    expect(snap.fallbackReason).toBeNull();
    expect(snap.standIn).toMatch(
      /champion daily v1 .* failed its load checks: trees v1 .*, the last good champion, keeps deciding/,
    );
    expect(snap.problems.join(" ")).toMatch(/label horizon of 86400000 ms/);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^degraded model: daily v1 .* failed to load: .*label horizon.*; .*keeps deciding/);
    await active.refresh();
    expect(alerts).toHaveLength(1); // raised once, not every tick

    // a restarted process has no last good runner: the previous champion of the record stands in
    const restarted = new ActiveModels(registry, loader, health);
    expect((await restarted.refresh()).champion?.record.id).toBe(good.id);
    await active.close();
    await restarted.close();
  });

  it("promote and rollback re-check the file: a stale model never becomes champion", async () => {
    const { repo, registry } = setup();
    const good = (await registry.add({ bytes: fixtureBytes("prob2"), name: "trees", addedBy: "t" })).model;
    const stale = await legacy(repo, "avail", "wrong_class");
    await expect(registry.promote(stale.id, "cli:alice")).rejects.toThrow(
      /avail v1 .* no longer passes the load checks: model declares class 1 = "capacity_available"/,
    );
    // rolling back to a stale previous champion is refused too
    await repo.transition([{ id: stale.id, from: "candidate", to: "champion" }], T0);
    await repo.transition(
      [
        { id: stale.id, from: "champion", to: "retired" },
        { id: good.id, from: "candidate", to: "champion", previousChampionId: stale.id },
      ],
      T0,
    );
    await expect(registry.rollback("cli:alice")).rejects.toThrow(/no longer passes the load checks/);
    expect((await registry.champion())?.id).toBe(good.id);
  });
});

describe("drift guard", () => {
  it("counts rows outside the training ranges and scores them by the fallback when the model says so", async () => {
    const { registry, repo } = setup();
    const m = (await registry.add({ bytes: fixtureBytes("ranged"), name: "ranged", addedBy: "t" })).model;
    await repo.transition([{ id: m.id, from: "candidate", to: "champion" }], T0);
    const gauge: number[] = [];
    const shown: string[] = [];
    const cc = new ChampionChallenger({
      models: new ActiveModels(registry, loader),
      predictions: new MemoryPredictionRepository(),
      metrics: { modelOutOfRange: { set: (_l, v) => gauge.push(v) } },
      health: { ok: async (c, d) => void shown.push(`${c}: ${d}`) },
    });
    const pools = ["p/a/x", "p/b/x", "p/c/x"];
    const x = new Float32Array(pools.length * FEATURE_COUNT).fill(Number.NaN);
    const set = (row: number, name: Parameters<typeof featureIndex>[0], v: number) => {
      x[row * FEATURE_COUNT + featureIndex(name)] = v;
    };
    for (let i = 0; i < 3; i++) {
      set(i, "cap_available_now", 1);
      set(i, "advisor_bucket", 2);
    }
    set(0, "cap_unavail_frac_6h", 0.2); // inside [0, 0.5]
    set(1, "cap_unavail_frac_6h", 0.9); // outside
    set(2, "hours_since_capacity_loss", 500); // outside [0, 240]
    const tick = await cc.scoreTick({ tickAt: T0, poolIds: pools, features: x, cols: FEATURE_COUNT });
    expect(tick.outOfRangeRows).toBe(2);
    expect(tick.outOfRange(0)).toEqual([]);
    expect(tick.outOfRange(1)).toEqual(["cap_unavail_frac_6h"]);
    expect(tick.outOfRange(2)).toEqual(["hours_since_capacity_loss"]);
    expect(tick.forInstance(0)).toMatchObject({ fallback: false, modelName: "ranged" });
    const outside = tick.forInstance(1);
    expect(outside).toMatchObject({ fallback: true, modelName: null });
    expect(outside.risk).toBeCloseTo(advisorBucketHourlyRisk(2), 6);
    expect(outside.reasons.join(" ")).toMatch(/outside the training range of ranged v1 \(cap_unavail_frac_6h\)/);
    expect(cc.status().outOfRange).toEqual({ rows: 2, total: 3, action: "fallback" });
    expect(gauge).toEqual([2]);
    // what /spot status shows for the model component
    expect(shown).toEqual([
      "model: champion ranged v1; 2 of 3 pools outside its training ranges (scored by the fallback)",
    ]);
  });
});

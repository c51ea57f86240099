/**
 * Champion/challenger end to end on real ONNX models and the real prediction table: a tick with a champion and a
 * shadow stores both models' predictions; outcomes are labelled from the capacity series once the horizon passed;
 * the experiment report scores each model. Also: fallback to the heuristic, lab subjects.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureBytes } from "../../../test/adapters/onnx-fixtures.js";
import { testDatabase } from "../../../test/support/services.js";
import { FEATURE_COUNT, featureIndex } from "../../core/features/contract.js";
import { ActiveModels } from "../../core/models/active-models.js";
import { ChampionChallenger } from "../../core/models/champion-challenger.js";
import { experimentReport } from "../../core/models/experiment-report.js";
import { advisorBucketHourlyRisk } from "../../core/models/heuristic.js";
import { OutcomeLabeler } from "../../core/models/labeler.js";
import { MemoryModelRepository } from "../../core/models/memory-model-repo.js";
import type { PredictionRepository } from "../../core/models/prediction-repository.js";
import { ModelRegistry } from "../../core/models/registry.js";
import { DEFAULT_MAX_MODEL_BYTES, validateModel } from "../../core/models/validate.js";
import { MemoryAuditLog } from "../../core/ports/audit.js";
import { ManualClock } from "../../core/ports/clock.js";
import type { CapacityPoint } from "../../core/types.js";
import { OnnxModelLoader } from "../onnx/runner.js";
import { DbExperimentQueries } from "./experiment-queries.js";
import { DbPredictionRepository } from "./prediction-repo.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 28, 10);
const loader = new OnnxModelLoader();
const validate = (b: Uint8Array) =>
  validateModel(b, { describe: (x) => loader.describe(x), loader, maxBytes: DEFAULT_MAX_MODEL_BYTES });

type Db = Awaited<ReturnType<typeof testDatabase>>;
let db: Db;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db?.dispose();
});

const pools = ["us-east-1/us-east-1a/m5.large", "us-east-1/us-east-1b/m5.large", "us-east-1/us-east-1c/c5.large"];
function features(): Float32Array {
  const x = new Float32Array(pools.length * FEATURE_COUNT).fill(Number.NaN);
  pools.forEach((_, i) => {
    x[i * FEATURE_COUNT + featureIndex("cap_available_now")] = i === 2 ? 0 : 1;
    x[i * FEATURE_COUNT + featureIndex("cap_unavail_frac_1h")] = i * 0.4;
    x[i * FEATURE_COUNT + featureIndex("advisor_bucket")] = i;
  });
  return x;
}

function setup(predictions: PredictionRepository) {
  const clock = new ManualClock(T0);
  const repo = new MemoryModelRepository();
  const registry = new ModelRegistry({ repo, audit: new MemoryAuditLog(), clock, validate });
  const active = new ActiveModels(registry, loader);
  const cc = new ChampionChallenger({ models: active, predictions });
  return { clock, repo, registry, active, cc };
}

describe("champion/challenger on the prediction table", () => {
  it("stores the champion's and the shadow's predictions, labels them, and reports per model", async () => {
    await db.orm.em.getConnection().execute("delete from prediction");
    const predictions = new DbPredictionRepository(db);
    const { clock, registry, active, cc } = setup(predictions);
    const champ = (await registry.add({ bytes: fixtureBytes("prob2"), name: "trees", addedBy: "t" })).model;
    const shadow = (await registry.add({ bytes: fixtureBytes("vector"), name: "linear", addedBy: "t" })).model;
    await registry.promote(champ.id, "t");
    await registry.setShadow(shadow.id, true, "t");

    const tick = await cc.scoreTick({ tickAt: T0, poolIds: pools, features: features(), cols: FEATURE_COUNT });
    expect(tick.fallback).toBe(false);
    expect(tick.champion?.name).toBe("trees");
    expect(tick.shadows.map((s) => s.name)).toEqual(["linear"]);
    expect(cc.status()).toMatchObject({
      fallback: false,
      fallbackReason: null,
      champion: { name: "trees", version: 1 },
    });
    expect(tick.stored).toBe(6);
    const stored = await predictions.listAtTick(T0);
    expect(new Set(stored.map((p) => p.modelId))).toEqual(new Set([champ.id, shadow.id]));
    expect(stored.every((p) => p.horizonMs === HOUR && p.labelAt === T0 + HOUR && p.outcome === null)).toBe(true);
    pools.forEach((pool, i) => {
      const p = stored.find((r) => r.modelId === champ.id && r.pool === pool);
      expect(p?.probability).toBeCloseTo(tick.champion?.risk[i] ?? Number.NaN, 6);
    });
    // a retried tick stores nothing twice
    expect((await cc.scoreTick({ tickAt: T0, poolIds: pools, features: features(), cols: FEATURE_COUNT })).stored).toBe(
      0,
    );

    // capacity: pool 0 lost capacity 30 min after the tick; pool 1 was seen available within the hour and lost
    // capacity only after it; pool 2 was never observed again (unknown: not "no loss")
    const series = new Map<string, CapacityPoint[]>([
      [
        pools[0],
        [
          { ts: T0 - HOUR, available: 1 },
          { ts: T0 + 30 * 60_000, available: 0 },
        ],
      ],
      [
        pools[1],
        [
          { ts: T0 - HOUR, available: 1 },
          { ts: T0 + 20 * 60_000, available: 1 },
          { ts: T0 + HOUR + 1, available: 0 },
        ],
      ],
    ]);
    const market = { readCapacity: async (ids: string[]) => new Map(ids.map((id) => [id, series.get(id) ?? []])) };
    const labeler = new OutcomeLabeler({ predictions, market, clock });
    expect(await labeler.labelDue()).toEqual({ labelled: 0, losses: 0, unknown: 0 });
    clock.set(T0 + HOUR);
    expect(await labeler.labelDue()).toEqual({ labelled: 4, losses: 2, unknown: 2 });
    expect(await labeler.labelDue()).toEqual({ labelled: 0, losses: 0, unknown: 0 });
    const labelled = await predictions.listAtTick(T0);
    expect(labelled.filter((p) => p.outcome === 1).map((p) => p.pool)).toEqual([pools[0], pools[0]]);
    expect(labelled.filter((p) => p.outcome === -1).map((p) => p.pool)).toEqual([pools[2], pools[2]]);

    const queries = new DbExperimentQueries(db);
    const report = await experimentReport({
      queries,
      models: await registry.list(),
      riskCeiling: 0.5,
      until: T0 + HOUR,
    });
    expect([report.labelled, report.unknown, report.pending]).toEqual([4, 2, 0]);
    expect(report.models.map((m) => [m.name, m.status, m.n, m.positives, m.unknown])).toEqual([
      ["trees", "champion", 2, 1, 1],
      ["linear", "shadow", 2, 1, 1],
    ]);
    for (const m of report.models) {
      // the unknown outcome of pool 2 is not scored
      const preds = labelled.filter((p) => p.modelId === m.modelId && p.pool !== pools[2]);
      const brier = preds.reduce((s, p) => s + (p.probability - (p.outcome ?? 0)) ** 2, 0) / 2;
      expect(m.brier).toBeCloseTo(brier, 3);
    }
    expect(report.models[1].paired).toMatchObject({ n: 2, blocks: 2 });
    await active.close();
  });
});

describe("fallback and lab subjects", () => {
  it("registers and promotes the bundled default model on first start, once", async () => {
    const { registry, repo } = setup(new DbPredictionRepository(db));
    const bytes = fixtureBytes("prob2");
    const first = await registry.ensureChampion(bytes, "daemon");
    expect(first).toMatchObject({ name: "default", version: 1, status: "champion", addedBy: "daemon" });
    expect(await registry.ensureChampion(bytes, "daemon")).toMatchObject({ id: first?.id });
    // an operator retired the default and has no champion: their choice is kept
    await repo.transition([{ id: first?.id ?? "", from: "champion", to: "retired" }], T0);
    expect(await registry.ensureChampion(bytes, "daemon")).toBeNull();
    expect(await registry.list()).toHaveLength(1);
  });

  it("falls back to the advisor-bucket heuristic without a champion and says so", async () => {
    const { cc, active } = setup(new DbPredictionRepository(db));
    const tick = await cc.scoreTick({
      tickAt: T0 + 5 * HOUR,
      poolIds: pools,
      features: features(),
      cols: FEATURE_COUNT,
    });
    expect(tick.fallback).toBe(true);
    expect(tick.fallbackReason).toMatch(/no usable model \(no champion model: promote one/);
    expect(tick.stored).toBe(0);
    expect(tick.risk[2]).toBeCloseTo(advisorBucketHourlyRisk(2), 9);
    const r = tick.forInstance(1);
    expect(r).toMatchObject({ fallback: true, modelId: null, modelName: null });
    expect(r.reasons.join(" ")).toMatch(/heuristic fallback/);
    expect(cc.status()).toMatchObject({ lastTickAt: T0 + 5 * HOUR, fallback: true, champion: null });
    expect(cc.status().fallbackReason).toBe(tick.fallbackReason);
    await active.close();
  });

  it("falls back when the champion cannot be loaded, naming it", async () => {
    const { repo, cc, active } = setup(new DbPredictionRepository(db));
    const broken = await repo.insert({
      id: "00000000-0000-4000-8000-000000000001",
      name: "broken",
      sha256: "0".repeat(64),
      identity: "0".repeat(64),
      lineage: {},
      sizeBytes: 4096,
      contractVersion: "spotwise-features/1",
      featureNames: [],
      metrics: {},
      addedBy: "t",
      at: T0,
      content: fixtureBytes("garbage"),
    });
    await repo.transition([{ id: broken.id, from: "candidate", to: "champion" }], T0);
    const tick = await cc.scoreTick({
      tickAt: T0 + 6 * HOUR,
      poolIds: pools,
      features: features(),
      cols: FEATURE_COUNT,
    });
    expect(tick.fallback).toBe(true);
    expect(tick.fallbackReason).toMatch(/champion broken v1 .* failed to load/);
    expect(tick.problems.join(" ")).toMatch(/not an ONNX model/);
    await active.close();
  });

  it("scores lab subjects with their tagged model and everyone else with the champion", async () => {
    const predictions = new DbPredictionRepository(db);
    const { registry, cc, active } = setup(predictions);
    const champ = (await registry.add({ bytes: fixtureBytes("prob2"), name: "trees", addedBy: "t" })).model;
    const labModel = (await registry.add({ bytes: fixtureBytes("vector"), name: "experimental", addedBy: "t" })).model;
    await registry.promote(champ.id, "t");
    const tickAt = T0 + 7 * HOUR;
    const tick = await cc.scoreTick({
      tickAt,
      poolIds: pools,
      features: features(),
      cols: FEATURE_COUNT,
      labModelNames: ["experimental", "missing"],
    });
    const lab = tick.forInstance(0, "experimental");
    expect(lab).toMatchObject({ modelId: labModel.id, modelName: "experimental", fallback: false });
    expect(lab.reasons[0]).toMatch(/lab subject: decided by model experimental v1/);
    expect(lab.risk).toBe(tick.lab.get("experimental")?.risk[0]);
    expect(tick.forInstance(0)).toMatchObject({ modelId: champ.id, risk: tick.champion?.risk[0] });
    expect(tick.forInstance(0, "missing").reasons[0]).toMatch(
      /lab model "missing" is not available: decided by the champion/,
    );
    expect(tick.problems.join(" ")).toMatch(/lab model "missing" is not registered/);
    expect(new Set((await predictions.listAtTick(tickAt)).map((p) => p.modelId))).toEqual(
      new Set([champ.id, labModel.id]),
    );
    await active.close();
  });
});

/**
 * The experiment report and the promotion gate on in-memory predictions: unknown outcomes are excluded (and
 * counted), one prediction per pool and horizon window, challengers compared with the champion on the same rows.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../ports/clock.js";
import type { CapacityPoint } from "../types.js";
import { experimentReport } from "./experiment-report.js";
import { OutcomeLabeler } from "./labeler.js";
import { MemoryExperimentQueries } from "./memory-experiment-queries.js";
import type { ModelRecord } from "./model-repository.js";
import { pairedComparison } from "./paired.js";
import { MemoryPredictionRepository } from "./prediction-repository.js";
import { PromotionGate } from "./promotion-gate.js";

const HOUR = 3_600_000;
const T = Date.UTC(2026, 10, 1);
const model = (id: string, name: string, status: ModelRecord["status"]): ModelRecord => ({
  id,
  name,
  version: 1,
  sha256: "0".repeat(64),
  identity: id.padEnd(64, "0"),
  lineage: {},
  sizeBytes: 1,
  contractVersion: "spotwise-features/1",
  featureNames: [],
  metrics: {},
  status,
  addedBy: "t",
  createdAt: T,
  statusChangedAt: T,
  previousChampionId: null,
});

async function labelled(
  preds: [model: string, pool: string, p: number, tickAt?: number][],
  capacity: Record<string, CapacityPoint[]>,
  now: number,
) {
  const repo = new MemoryPredictionRepository();
  await repo.insertMany(
    preds.map(([modelId, pool, probability, tickAt = T]) => ({ modelId, pool, probability, tickAt, horizonMs: HOUR })),
  );
  const market = { readCapacity: async (ids: string[]) => new Map(ids.map((id) => [id, capacity[id] ?? []])) };
  const labeler = new OutcomeLabeler({ predictions: repo, market, clock: new ManualClock(now) });
  const counts = await labeler.labelDue();
  return { repo, counts, queries: new MemoryExperimentQueries(() => repo.rows) };
}

describe("experiment report", () => {
  const models = [model("c", "champ", "champion"), model("s", "shadow", "shadow")];
  // a lost capacity in the hour, b and x observed available, u never observed again
  const capacity = {
    a: [{ ts: T + 10 * 60_000, available: 0 as const }],
    b: [{ ts: T + 20 * 60_000, available: 1 as const }],
    x: [{ ts: T + 50 * 60_000, available: 1 as const }],
  };

  it("excludes outcomes nobody observed instead of counting them as 'no loss'", async () => {
    const { queries, counts } = await labelled(
      [
        ["c", "a", 0.3],
        ["c", "b", 0.2],
        ["c", "x", 0.1],
        ["c", "u", 0.9],
      ],
      capacity,
      T + HOUR,
    );
    expect(counts).toEqual({ labelled: 3, losses: 1, unknown: 1 });
    const r = await experimentReport({ queries, models, riskCeiling: 0.5, until: T + HOUR });
    const [c] = r.models;
    expect([r.labelled, r.unknown, c.n, c.unknown, c.positives]).toEqual([3, 1, 3, 1, 1]);
    // scored on a, b, x only: with u counted as "no loss" (p 0.9, y 0) the AUC would be 2/3 and Brier far worse
    expect(c.auc).toBe(1);
    expect(c.brier).toBeCloseTo((0.7 ** 2 + 0.2 ** 2 + 0.1 ** 2) / 3, 9);
    expect(c.ece).toBeGreaterThan(0);
    expect(c.calibration).toHaveLength(10);
  });

  it("stores one prediction per pool and horizon window, not one per tick", async () => {
    const repo = new MemoryPredictionRepository();
    for (let k = 0; k < 8; k++) {
      await repo.insertMany([
        { modelId: "c", pool: "a", probability: 0.1, tickAt: T + k * 15 * 60_000, horizonMs: HOUR },
      ]);
    }
    expect(repo.rows.map((r) => (r.tickAt - T) / 60_000)).toEqual([0, 60]);
  });

  it("compares a challenger with the champion on the same rows only", async () => {
    const { queries } = await labelled(
      [
        ["c", "a", 0.3],
        ["c", "b", 0.2],
        ["c", "x", 0.1],
        ["s", "a", 0.8],
        ["s", "b", 0.1],
        ["s", "x", 0.1],
        // scored by the shadow only: not part of the paired comparison
        ["s", "y", 0.9],
      ],
      { ...capacity, y: [{ ts: T + 5 * 60_000, available: 1 }] },
      T + HOUR,
    );
    const r = await experimentReport({ queries, models, riskCeiling: 0.5, until: T + HOUR });
    const s = r.models.find((m) => m.name === "shadow");
    expect(s?.n).toBe(4);
    expect(s?.paired?.n).toBe(3);
    const diff = (0.2 ** 2 - 0.7 ** 2 + (0.1 ** 2 - 0.2 ** 2) + (0.1 ** 2 - 0.1 ** 2)) / 3;
    expect(s?.paired?.brierDiff).toBeCloseTo(diff, 9);
    expect(s?.paired?.auc).toBe(1);
    expect(s?.paired?.championAuc).toBe(1);
    expect(r.models.find((m) => m.name === "champ")?.paired).toBeNull();
  });
});

describe("promotion gate", () => {
  const champion = model("c", "champ", "champion");
  const challenger = model("s", "shadow", "shadow");

  /** 4 pools scored every hour for `hours`; the champion says 0.3 everywhere, the challenger `p(y)`. */
  async function history(hours: number, challengerP: (y: 0 | 1, k: number) => number) {
    const repo = new MemoryPredictionRepository();
    for (let h = 0; h < hours; h++) {
      for (let k = 0; k < 4; k++) {
        const tickAt = T + h * HOUR;
        const y = (h * 7 + k * 3) % 5 === 0 ? 1 : 0;
        const ins = await repo.insertMany([
          { modelId: "c", pool: `p${k}`, probability: 0.3, tickAt, horizonMs: HOUR },
          { modelId: "s", pool: `p${k}`, probability: challengerP(y, k), tickAt, horizonMs: HOUR },
        ]);
        expect(ins.added).toBe(2);
        const ids = repo.rows.slice(-2).map((r) => r.id);
        await repo.setOutcomes(
          ids.map((id) => ({ id, outcome: y })),
          tickAt + HOUR,
        );
      }
    }
    return new MemoryExperimentQueries(() => repo.rows);
  }

  it("refuses a just-added candidate, saying it was never scored", async () => {
    const gate = new PromotionGate({ queries: new MemoryExperimentQueries(() => []), clock: new ManualClock(T) });
    const v = await gate.evaluate(model("n", "new", "candidate"), champion);
    expect(v.ok).toBe(false);
    expect(v.failures.join("; ")).toMatch(/never been scored: shadow it first .* 72 h/);
    expect(v.failures.join("; ")).toMatch(/0 labelled outcomes paired with the champion's .* needs 200/);
  });

  it("accepts a challenger that shadowed long enough and is not worse on the same rows", async () => {
    const queries = await history(80, (y) => (y === 1 ? 0.6 : 0.15));
    const gate = new PromotionGate({ queries, clock: new ManualClock(T + 80 * HOUR) });
    const v = await gate.evaluate(challenger, champion);
    expect(v.failures).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.outcomes).toBe(320);
    expect(v.paired?.brier.diff).toBeLessThan(0);
    expect(v.paired?.nEff).toBeGreaterThan(0);
  });

  it("refuses a challenger worse than the champion beyond the interval, with the numbers", async () => {
    const queries = await history(80, (y) => (y === 1 ? 0.05 : 0.7));
    const gate = new PromotionGate({ queries, clock: new ManualClock(T + 80 * HOUR) });
    const v = await gate.evaluate(challenger, champion);
    expect(v.ok).toBe(false);
    expect(v.failures[0]).toMatch(
      /worse than the champion beyond the interval: Brier \+0\.\d{4} \(95% CI \[0\.\d{4}, 0\.\d{4}\]\) on 320 paired outcomes/,
    );
  });

  it("refuses too short a shadow period even with enough outcomes (settings are configurable)", async () => {
    const queries = await history(10, (y) => (y === 1 ? 0.6 : 0.15));
    const gate = new PromotionGate({ queries, clock: new ManualClock(T + 10 * HOUR), settings: { minOutcomes: 20 } });
    const v = await gate.evaluate(challenger, champion);
    expect(v.failures).toEqual(["it has shadowed for 10.0 h, the gate needs 72 h"]);
  });

  it("paired intervals resample pool-days: dependent rows do not shrink the interval", async () => {
    const queries = await history(48, (y) => (y === 1 ? 0.6 : 0.15));
    const c = await pairedComparison(queries, "c", "s");
    expect(c.blocks).toBe(8); // 4 pools × 2 days
    expect(c.nEff).toBeLessThanOrEqual(c.n);
    expect(c.brier.ci[0]).toBeLessThanOrEqual(c.brier.diff);
    expect(c.brier.ci[1]).toBeGreaterThanOrEqual(c.brier.diff);
  });
});

import { describe, expect, it } from "vitest";
import { experimentReport, type ReportDecision } from "./experiment-report.js";
import type { ModelRecord } from "./model-repository.js";
import type { PredictionRecord } from "./prediction-repository.js";

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
let id = 1;
const pred = (modelId: string, pool: string, probability: number, outcome: 0 | 1, tickAt = T): PredictionRecord => ({
  id: id++,
  modelId,
  tickAt,
  pool,
  probability,
  horizonMs: 3_600_000,
  labelAt: tickAt + 3_600_000,
  outcome,
  labelledAt: tickAt + 3_600_000,
});

describe("experimentReport", () => {
  const models = [model("c", "champ", "champion"), model("s", "shadow", "shadow"), model("l", "lab", "candidate")];
  const predictions = [
    pred("c", "a", 0.1, 0),
    pred("c", "b", 0.2, 1),
    pred("c", "x", 0.3, 0),
    pred("s", "a", 0.05, 0),
    pred("s", "b", 0.9, 1),
    pred("s", "x", 0.2, 0),
  ];

  it("scores every model on realized outcomes", () => {
    const r = experimentReport({ predictions, models, riskCeiling: 0.5 });
    const [c, s] = r.models;
    expect([c.name, s.name]).toEqual(["champ", "shadow"]);
    expect(c.auc).toBeCloseTo(0.5, 9); // 0.2 is above 0.1, below 0.3
    expect(s.auc).toBe(1);
    expect(c.brier).toBeCloseTo((0.01 + 0.64 + 0.09) / 3, 9);
    expect(s.brier).toBeCloseTo((0.0025 + 0.01 + 0.04) / 3, 9);
    expect(s.log_loss).toBeCloseTo(-(Math.log(0.95) + Math.log(0.9) + Math.log(0.8)) / 3, 9);
    expect(s.log_loss).toBeLessThan(c.log_loss);
    expect([c.n, c.positives]).toEqual([3, 1]);
  });

  it("counts decisions another model would have changed, the saving forgone and disruptions avoided; lab decisions apart", () => {
    const decisions: ReportDecision[] = [
      // champion switched a -> b; the shadow puts b at 0.9 > ceiling: it would have blocked it, and b lost capacity
      {
        tickAt: T,
        instanceId: "i-1",
        action: "SWITCH",
        fromPool: "a",
        toPool: "b",
        savingPerHour: 0.04,
        modelId: "c",
        modelName: "champ",
      },
      // champion stayed in x; neither model is above the ceiling there
      {
        tickAt: T,
        instanceId: "i-2",
        action: "STAY",
        fromPool: "x",
        toPool: null,
        savingPerHour: 0,
        modelId: "c",
        modelName: "champ",
      },
      // a lab subject decided by model "lab"
      {
        tickAt: T,
        instanceId: "i-3",
        action: "STAY",
        fromPool: "a",
        toPool: null,
        savingPerHour: 0,
        modelId: "l",
        modelName: "lab",
      },
    ];
    const r = experimentReport({ predictions, models, riskCeiling: 0.5, decisions });
    const byName = new Map(r.models.map((m) => [m.name, m]));
    expect(byName.get("shadow")).toMatchObject({
      wouldDiffer: 1,
      forgoneSavingPerHour: 0.04,
      avoidedDisruptions: 1,
      decisionsMade: 0,
    });
    expect(byName.get("champ")).toMatchObject({ wouldDiffer: 0, decisionsMade: 2 });
    expect(byName.get("lab")).toMatchObject({ decisionsMade: 1, n: 0, status: "candidate" });
    expect(r.decisionsCompared).toBe(3);
  });
});

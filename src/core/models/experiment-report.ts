/**
 * The experiment report: each model's predictions scored against realized outcomes (AUC, Brier, log loss), and,
 * given the decisions that were made, which of them another model would have changed and what that would have
 * cost. Rule for "would have differed" (the risk gate of the policy): a SWITCH differs under model M when M's
 * P(disruption) of the target pool is above the risk ceiling (M would have blocked it: the saving per hour is
 * forgone; if the target then lost capacity, M avoided a disruption); a STAY differs under M when M's risk of the
 * current pool is above the ceiling while the deciding model's was not (M would have looked for a move).
 */
import type { EpochMs } from "../types.js";
import { type ScoreMetrics, scoreMetrics } from "./metrics.js";
import type { ModelRecord } from "./model-repository.js";
import type { PredictionRecord } from "./prediction-repository.js";

export interface ReportDecision {
  tickAt: EpochMs;
  instanceId: string;
  action: string;
  fromPool: string;
  toPool: string | null;
  savingPerHour: number;
  modelId: string | null;
  modelName: string | null;
}

export interface ModelExperimentRow extends ScoreMetrics {
  modelId: string;
  name: string;
  version: number | null;
  status: string;
  positives: number;
  /** Decisions this model made (for a non-champion: its lab subjects). */
  decisionsMade: number;
  /** Decisions made by another model that this one would have changed. */
  wouldDiffer: number;
  /** Saving per hour (USD) of the switches this model would have blocked (cost difference per hour). */
  forgoneSavingPerHour: number;
  /** Blocked switches whose target pool then lost capacity. */
  avoidedDisruptions: number;
}

export interface ExperimentReport {
  since: EpochMs | null;
  labelled: number;
  riskCeiling: number;
  decisionsCompared: number;
  models: ModelExperimentRow[];
}

export function experimentReport(input: {
  predictions: PredictionRecord[];
  models: ModelRecord[];
  decisions?: ReportDecision[];
  riskCeiling: number;
  since?: EpochMs;
  /** Predictions at decision ticks (labelled or not), for the decision comparison; defaults to `predictions`. */
  decisionPredictions?: PredictionRecord[];
}): ExperimentReport {
  const labelled = input.predictions.filter((p) => p.outcome !== null);
  const byModel = new Map<string, PredictionRecord[]>();
  for (const p of labelled) {
    const list = byModel.get(p.modelId) ?? [];
    list.push(p);
    byModel.set(p.modelId, list);
  }
  const records = new Map(input.models.map((m) => [m.id, m]));
  const at = new Map<string, PredictionRecord>();
  for (const p of input.decisionPredictions ?? input.predictions) at.set(`${p.modelId}|${p.tickAt}|${p.pool}`, p);
  const decisions = input.decisions ?? [];
  const ids = new Set([...byModel.keys(), ...decisions.map((d) => d.modelId).filter((x): x is string => !!x)]);

  const rows: ModelExperimentRow[] = [...ids].map((id) => {
    const preds = byModel.get(id) ?? [];
    const y = preds.map((p) => p.outcome as number);
    const rec = records.get(id);
    let wouldDiffer = 0;
    let forgone = 0;
    let avoided = 0;
    let made = 0;
    for (const d of decisions) {
      if (d.modelId === id) {
        made++;
        continue;
      }
      if (d.action === "SWITCH" && d.toPool) {
        const to = at.get(`${id}|${d.tickAt}|${d.toPool}`);
        if (to && to.probability > input.riskCeiling) {
          wouldDiffer++;
          forgone += d.savingPerHour;
          if (to.outcome === 1) avoided++;
        }
      } else if (d.action === "STAY") {
        const mine = at.get(`${id}|${d.tickAt}|${d.fromPool}`);
        const theirs = d.modelId ? at.get(`${d.modelId}|${d.tickAt}|${d.fromPool}`) : undefined;
        if (mine && mine.probability > input.riskCeiling && (!theirs || theirs.probability <= input.riskCeiling)) {
          wouldDiffer++;
        }
      }
    }
    return {
      modelId: id,
      name: rec?.name ?? "(unknown model)",
      version: rec?.version ?? null,
      status: rec?.status ?? "unknown",
      ...scoreMetrics(
        y,
        preds.map((p) => p.probability),
      ),
      positives: y.filter((v) => v === 1).length,
      decisionsMade: made,
      wouldDiffer,
      forgoneSavingPerHour: forgone,
      avoidedDisruptions: avoided,
    };
  });
  const order = ["champion", "shadow", "candidate", "retired", "rejected", "unknown"];
  rows.sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status) || a.name.localeCompare(b.name));
  return {
    since: input.since ?? null,
    labelled: labelled.length,
    riskCeiling: input.riskCeiling,
    decisionsCompared: decisions.length,
    models: rows,
  };
}

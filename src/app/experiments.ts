/** The champion-vs-challenger report over the database: one builder for the CLI, the bot and the digest. */
import { DecisionEntity } from "../adapters/db/entities.js";
import type { Database } from "../adapters/db/orm.js";
import { DbPredictionRepository } from "../adapters/db/prediction-repo.js";
import { type ExperimentReport, experimentReport, type ReportDecision } from "../core/models/experiment-report.js";
import type { PredictionRecord } from "../core/models/prediction-repository.js";
import type { ModelRegistry } from "../core/models/registry.js";

export async function buildExperimentReport(
  db: Database,
  registry: ModelRegistry,
  riskCeiling: number,
  since?: number,
): Promise<ExperimentReport> {
  const predictionRepo = new DbPredictionRepository(db);
  const predictions = await predictionRepo.listLabelled({ since });
  const rows = await db.em().find(DecisionEntity, since === undefined ? {} : { tickAt: { $gte: new Date(since) } }, {
    orderBy: { tickAt: "asc" },
  });
  const decisions: ReportDecision[] = rows.map((d) => ({
    tickAt: d.tickAt.getTime(),
    instanceId: d.instanceId,
    action: d.action,
    fromPool: d.fromPool,
    toPool: d.toPool ?? null,
    savingPerHour: d.savingPerHour,
    modelId: d.modelId ?? null,
    modelName: d.modelName ?? null,
  }));
  const atTicks: PredictionRecord[] = [];
  for (const tick of new Set(decisions.map((d) => d.tickAt))) atTicks.push(...(await predictionRepo.listAtTick(tick)));
  return experimentReport({
    predictions,
    models: await registry.list(),
    decisions,
    riskCeiling,
    since,
    decisionPredictions: atTicks,
  });
}

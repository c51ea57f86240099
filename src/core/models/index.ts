/** Public API of the models module, for the daemon and the CLI. */
export { type ActiveModel, ActiveModels, type ActiveSnapshot } from "./active-models.js";
export {
  ChampionChallenger,
  type InstanceRisk,
  type ModelScores,
  PREDICTION_HORIZON_MS,
  type ScoringStatus,
  type TickInput,
  type TickScores,
} from "./champion-challenger.js";
export { checkContract, checkInput, pickProbabilityOutput } from "./contract-check.js";
export type { ModelDescription, ProbabilityOutput, ValueInfo, ValueType } from "./description.js";
export {
  type ExperimentReport,
  experimentReport,
  type ModelExperimentRow,
  type SwitchEpisodeQueries,
} from "./experiment-report.js";
export { GOLDEN_ROWS, goldenMatrix } from "./golden.js";
export {
  AdvisorBucketHeuristic,
  advisorBucketHourlyRisk,
  fallbackReason,
  HEURISTIC_MODEL_ID,
  HEURISTIC_MODEL_NAME,
} from "./heuristic.js";
export { OutcomeLabeler, outcomeFrom } from "./labeler.js";
export {
  lineageOf,
  modelIdentity,
  POSITIVE_CLASS,
  TrainingRanges,
} from "./lineage.js";
export { MemoryExperimentQueries } from "./memory-experiment-queries.js";
export { MemoryModelRepository } from "./memory-model-repo.js";
export { auc, brier, logLoss, type ScoreMetrics, scoreMetrics } from "./metrics.js";
export type { ModelRecord, ModelRepository, ModelStatus, NewModel, StatusChange } from "./model-repository.js";
export { type ExperimentQueries, type PairedComparison, pairedComparison } from "./paired.js";
export {
  MemoryPredictionRepository,
  type NewPrediction,
  type PredictionRecord,
  type PredictionRepository,
} from "./prediction-repository.js";
export { DEFAULT_GATE, type GateVerdict, PromotionGate, type PromotionGateSettings } from "./promotion-gate.js";
export { ModelRegistry, type ModelRegistryDeps, modelLabel, type PromoteOptions } from "./registry.js";
export { type RiskEvalResult, riskEval, traceFeatureMatrix } from "./risk-eval.js";
export { parseTraces, type Trace, traceBaselines, traceLabels } from "./traces.js";
export { DEFAULT_MAX_MODEL_BYTES, type ModelSummary, sha256Hex, validateModel } from "./validate.js";

/**
 * The experiment report (champion vs challengers), built from aggregates the store computes (nothing loaded
 * whole):
 * - only predictions with an observed outcome are scored; unknown ones (nothing observed in the horizon) and
 *   pending ones are counted next to them;
 * - one prediction per model, pool and horizon window, so rows are not overlapping copies of each other;
 * - each challenger is compared with the champion on the SAME rows (same pool, same tick): the Brier and log-loss
 *   differences come with a 95% block-bootstrap interval (blocks: pool × day) and the effective sample size;
 * - calibration (ECE, reliability bins) next to discrimination (AUC);
 * - switch recommendations another model would have blocked (its P(disruption) of the target above the risk
 *   ceiling), with the saving forgone over the hours each recommendation stood (not a sum of $/h rates per tick).
 */
import type { EpochMs } from "../types.js";
import { calibrationFromBins } from "./metrics.js";
import type { ModelRecord } from "./model-repository.js";
import { type ExperimentQueries, metricsFromBins, type PairedComparison, pairedComparison } from "./paired.js";

export interface SwitchEpisodeQueries {
  switchEpisodes(opts: { since?: number; until: number; riskCeiling: number; maxStepMs: number }): Promise<{
    episodes: number;
    /** Recommendations per deciding model (null: the heuristic). */
    byDecider: Map<string | null, number>;
    /** Per model: recommendations by others it would have blocked. */
    blocked: Map<string, { wouldDiffer: number; forgoneUsd: number; forgoneHours: number; avoided: number }>;
  }>;
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  n: number;
  meanP: number;
  meanY: number;
}

export interface PairedRow {
  n: number;
  nEff: number;
  blocks: number;
  /** AUC of this model and of the champion on the paired rows. */
  auc: number;
  championAuc: number;
  /** This model minus the champion (negative = better), with 95% CI. */
  brierDiff: number;
  brierCi: [number, number];
  logLossDiff: number;
  logLossCi: [number, number];
}

export interface ModelExperimentRow {
  modelId: string;
  name: string;
  version: number | null;
  status: string;
  /** Labelled predictions (outcome observed) and their positives. */
  n: number;
  positives: number;
  unknown: number;
  pending: number;
  auc: number;
  brier: number;
  log_loss: number;
  ece: number;
  calibration: CalibrationBin[];
  /** Against the champion on the same rows (null for the champion, or without a champion). */
  paired: PairedRow | null;
  /** Switch recommendations this model made (non-champions: their lab subjects). */
  decisionsMade: number;
  /** Switch recommendations by another model that this one would have blocked. */
  wouldDiffer: number;
  /** USD those blocked recommendations would have saved over the hours they stood. */
  forgoneSavingUsd: number;
  forgoneHours: number;
  /** Blocked switches whose target pool then lost capacity within the horizon. */
  avoidedDisruptions: number;
}

export interface ExperimentReport {
  since: EpochMs | null;
  until: EpochMs;
  /** Labelled predictions over all models; unknown and pending are not scored. */
  labelled: number;
  unknown: number;
  pending: number;
  riskCeiling: number;
  /** Switch recommendations compared (episodes, not ticks). */
  decisionsCompared: number;
  championId: string | null;
  models: ModelExperimentRow[];
}

const ORDER = ["champion", "shadow", "candidate", "retired", "rejected", "unknown"];

export async function experimentReport(input: {
  queries: ExperimentQueries;
  episodes?: SwitchEpisodeQueries;
  models: ModelRecord[];
  riskCeiling: number;
  since?: EpochMs;
  until: EpochMs;
  /** Longest time one decision counts as standing (daemon down longer: not standing); default 6 h. */
  maxStepMs?: number;
}): Promise<ExperimentReport> {
  const { queries, since } = input;
  const champion = input.models.find((m) => m.status === "champion") ?? null;
  const ep = input.episodes
    ? await input.episodes.switchEpisodes({
        since,
        until: input.until,
        riskCeiling: input.riskCeiling,
        maxStepMs: input.maxStepMs ?? 6 * 3_600_000,
      })
    : null;
  const rows: ModelExperimentRow[] = [];
  let labelled = 0;
  let unknown = 0;
  let pending = 0;
  for (const m of input.models) {
    const o = await queries.modelOutcomes(m.id, since);
    const decided = ep?.byDecider.get(m.id) ?? 0;
    if (o.labelled + o.unknown + o.pending === 0 && decided === 0) continue;
    labelled += o.labelled;
    unknown += o.unknown;
    pending += o.pending;
    const own = metricsFromBins(await queries.scoreBins(m.id, null, since));
    const cal = calibrationFromBins(own.cal);
    let paired: PairedRow | null = null;
    if (champion && champion.id !== m.id) {
      const c: PairedComparison = await pairedComparison(queries, champion.id, m.id, since);
      if (c.n > 0) {
        paired = {
          n: c.n,
          nEff: c.nEff,
          blocks: c.blocks,
          auc: metricsFromBins(await queries.scoreBins(m.id, champion.id, since)).auc,
          championAuc: metricsFromBins(await queries.scoreBins(champion.id, m.id, since)).auc,
          brierDiff: c.brier.diff,
          brierCi: c.brier.ci,
          logLossDiff: c.logLoss.diff,
          logLossCi: c.logLoss.ci,
        };
      }
    }
    const b = ep?.blocked.get(m.id);
    rows.push({
      modelId: m.id,
      name: m.name,
      version: m.version,
      status: m.status,
      n: own.n,
      positives: own.positives,
      unknown: o.unknown,
      pending: o.pending,
      auc: own.auc,
      brier: own.brier,
      log_loss: own.log_loss,
      ece: cal.ece,
      calibration: cal.bins,
      paired,
      decisionsMade: decided,
      wouldDiffer: b?.wouldDiffer ?? 0,
      forgoneSavingUsd: b?.forgoneUsd ?? 0,
      forgoneHours: b?.forgoneHours ?? 0,
      avoidedDisruptions: b?.avoided ?? 0,
    });
  }
  rows.sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || a.name.localeCompare(b.name));
  return {
    since: since ?? null,
    until: input.until,
    labelled,
    unknown,
    pending,
    riskCeiling: input.riskCeiling,
    decisionsCompared: ep?.episodes ?? 0,
    championId: champion?.id ?? null,
    models: rows,
  };
}

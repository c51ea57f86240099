/**
 * Scores every pool of a tick with the champion and every shadow model (and the models of lab subjects),
 * stores their predictions (horizon 1 h; one per model, pool and horizon window; never for a pool spotwise has
 * no capacity observation of, whose inputs are all missing), and falls back to the advisor-bucket heuristic
 * when there is no usable champion. `forInstance` gives the risk a decision should use, with who produced it.
 *
 * Drift guard: rows with a feature outside the deciding model's training ranges are counted (status, metric)
 * and, when the model declares it is not valid there (spotwise.out_of_range = fallback), scored by the heuristic.
 */

import { errorMessage } from "../errors.js";
import { featureIndex } from "../features/contract.js";
import type { ModelRunner } from "../ports/model-runner.js";
import type { EpochMs } from "../types.js";
import type { ActiveModel, ActiveModels, ModelHealth } from "./active-models.js";
import { AdvisorBucketHeuristic, fallbackReason, HEURISTIC_MODEL_NAME } from "./heuristic.js";
import type { NewPrediction, PredictionRepository } from "./prediction-repository.js";
import { modelLabel } from "./registry.js";

export const PREDICTION_HORIZON_MS = 3_600_000;
const CAP_NOW = featureIndex("cap_available_now");

export interface ModelScores {
  modelId: string;
  name: string;
  version: number;
  risk: Float32Array;
}

export interface InstanceRisk {
  risk: number;
  modelId: string | null;
  modelName: string | null;
  fallback: boolean;
  /** Lines for the decision's reasons (fallback, lab subject). */
  reasons: string[];
}

export interface TickScores {
  tickAt: EpochMs;
  poolIds: string[];
  champion: ModelScores | null;
  shadows: ModelScores[];
  lab: Map<string, ModelScores>;
  fallback: boolean;
  /** Status line when the heuristic decides (null with a working champion). */
  fallbackReason: string | null;
  /** What decides: champion scores, or the heuristic's. */
  risk: Float32Array;
  problems: string[];
  stored: number;
  /** Pools whose row has a feature outside the champion's training range. */
  outOfRangeRows: number;
  /** The features of pool `poolIndex` outside the training range of the model deciding it (empty: inside). */
  outOfRange(poolIndex: number, modelOverride?: string): string[];
  forInstance(poolIndex: number, modelOverride?: string): InstanceRisk;
}

/** What the status command and /readyz show about scoring. */
export interface ScoringStatus {
  lastTickAt: EpochMs | null;
  champion: { modelId: string; name: string; version: number } | null;
  shadows: { modelId: string; name: string; version: number }[];
  fallback: boolean;
  fallbackReason: string | null;
  problems: string[];
  /** Drift guard of the last tick: pools outside the champion's training ranges, and what was done with them. */
  outOfRange: { rows: number; total: number; action: "scored" | "fallback" } | null;
}

export interface TickInput {
  tickAt: EpochMs;
  poolIds: string[];
  /** Row-major float32 [poolIds.length, cols] in feature-contract order. */
  features: Float32Array;
  cols: number;
  /** Names from the spotwise:model tags of this tick's instances. */
  labModelNames?: string[];
}

export class ChampionChallenger {
  private readonly heuristic: ModelRunner;
  private readonly horizonMs: number;
  private shownDetail: string | null = null;
  private last: ScoringStatus = {
    lastTickAt: null,
    champion: null,
    shadows: [],
    fallback: true,
    fallbackReason: "no tick scored yet",
    problems: [],
    outOfRange: null,
  };

  constructor(
    private readonly deps: {
      models: ActiveModels;
      predictions: PredictionRepository;
      heuristic?: ModelRunner;
      horizonMs?: number;
      metrics?: { modelOutOfRange: { set(labels: { model: string }, value: number): void } };
      /** `/spot status` reads the model component: the champion and the drift guard's count. */
      health?: Pick<ModelHealth, "ok">;
    },
  ) {
    this.heuristic = deps.heuristic ?? new AdvisorBucketHeuristic();
    this.horizonMs = deps.horizonMs ?? PREDICTION_HORIZON_MS;
  }

  /** The outcome of the last scored tick (fallback and problems included). */
  status(): ScoringStatus {
    return {
      ...this.last,
      shadows: [...this.last.shadows],
      problems: [...this.last.problems],
      outOfRange: this.last.outOfRange ? { ...this.last.outOfRange } : null,
    };
  }

  async scoreTick(input: TickInput): Promise<TickScores> {
    const rows = input.poolIds.length;
    const snap = await this.deps.models.refresh(input.labModelNames ?? []);
    const problems = [...snap.problems];
    const run = async (m: ActiveModel): Promise<ModelScores | null> => {
      try {
        const risk = await m.runner.predict(input.features, rows, input.cols);
        return { modelId: m.record.id, name: m.record.name, version: m.record.version, risk };
      } catch (e) {
        problems.push(`${modelLabel(m.record)} failed to score: ${errorMessage(e)}`);
        return null;
      }
    };
    const champion = snap.champion ? await run(snap.champion) : null;
    let reason = snap.fallbackReason;
    if (snap.champion && !champion) reason = `champion ${modelLabel(snap.champion.record)} failed to score`;
    const shadows = (await Promise.all(snap.shadows.map(run))).filter((s): s is ModelScores => s !== null);
    const lab = new Map<string, ModelScores>();
    for (const [name, m] of snap.lab) {
      const same = [champion, ...shadows].find((s) => s?.modelId === m.record.id);
      const s = same ?? (await run(m));
      if (s) lab.set(name, s);
    }
    const fallback = champion === null;
    const needHeuristic = fallback || snap.champion?.ranges?.fallbackOutside === true;
    const heuristicRisk = needHeuristic ? await this.heuristic.predict(input.features, rows, input.cols) : null;
    const masks = new Map<string, Uint8Array>();
    const maskOf = (m: ActiveModel | undefined): Uint8Array | null => {
      if (!m?.ranges) return null;
      let mask = masks.get(m.record.id);
      if (!mask) {
        mask = m.ranges.mask(input.features, rows, input.cols);
        masks.set(m.record.id, mask);
      }
      return mask;
    };
    const champMask = champion ? maskOf(snap.champion ?? undefined) : null;
    const outOfRangeRows = champMask ? champMask.reduce((a, b) => a + b, 0) : 0;
    const champFallsBack = !!champion && snap.champion?.ranges?.fallbackOutside === true && outOfRangeRows > 0;
    let risk: Float32Array;
    if (!champion) risk = heuristicRisk as Float32Array;
    else if (champFallsBack) {
      risk = Float32Array.from(champion.risk, (p, i) => (champMask?.[i] ? (heuristicRisk as Float32Array)[i] : p));
    } else risk = champion.risk;
    if (champion) this.deps.metrics?.modelOutOfRange.set({ model: champion.name }, outOfRangeRows);

    const byId = new Map<string, ModelScores>();
    for (const s of [champion, ...shadows, ...lab.values()]) if (s) byId.set(s.modelId, s);
    const toStore: NewPrediction[] = [];
    for (const s of byId.values()) {
      s.risk.forEach((p, i) => {
        // a pool never observed has no capacity inputs: its prediction would say nothing about the model
        if (Number.isFinite(p) && Number.isFinite(input.features[i * input.cols + CAP_NOW])) {
          toStore.push({
            modelId: s.modelId,
            tickAt: input.tickAt,
            pool: input.poolIds[i],
            probability: p,
            horizonMs: this.horizonMs,
          });
        }
      });
    }
    const { added } = await this.deps.predictions.insertMany(toStore);
    const fallbackLine = fallback ? fallbackReason(reason ?? "unknown") : null;
    const ref = (m: ModelScores) => ({ modelId: m.modelId, name: m.name, version: m.version });
    this.last = {
      lastTickAt: input.tickAt,
      champion: champion ? ref(champion) : null,
      shadows: shadows.map(ref),
      fallback,
      fallbackReason: fallbackLine,
      problems,
      outOfRange: champion
        ? { rows: outOfRangeRows, total: rows, action: champFallsBack ? "fallback" : "scored" }
        : null,
    };
    if (champion && !snap.standIn) {
      const drift = outOfRangeRows
        ? `; ${outOfRangeRows} of ${rows} pools outside its training ranges (${champFallsBack ? "scored by the fallback" : "scored, counted"})`
        : "";
      const detail = `champion ${champion.name} v${champion.version}${drift}`;
      // written when it changes, not every tick
      if (detail !== this.shownDetail) {
        await this.deps.health?.ok("model", detail);
        this.shownDetail = detail;
      }
    } else this.shownDetail = null;
    const activeOf = (modelOverride?: string): ActiveModel | undefined =>
      (modelOverride ? snap.lab.get(modelOverride) : undefined) ?? snap.champion ?? undefined;
    const features = input.features;
    const cols = input.cols;

    return {
      tickAt: input.tickAt,
      poolIds: input.poolIds,
      champion,
      shadows,
      lab,
      fallback,
      fallbackReason: fallbackLine,
      risk,
      problems,
      stored: added,
      outOfRangeRows,
      outOfRange(poolIndex: number, modelOverride?: string): string[] {
        const m = activeOf(modelOverride);
        return m?.ranges ? m.ranges.outOfRange(features, poolIndex, cols) : [];
      },
      forInstance(poolIndex: number, modelOverride?: string): InstanceRisk {
        if (modelOverride) {
          const m = lab.get(modelOverride);
          if (m) {
            return {
              risk: m.risk[poolIndex],
              modelId: m.modelId,
              modelName: m.name,
              fallback: false,
              reasons: [`lab subject: decided by model ${m.name} v${m.version} (tag spotwise:model=${modelOverride})`],
            };
          }
        }
        const extra = modelOverride
          ? [`lab model "${modelOverride}" is not available: decided by ${champion ? "the champion" : "the heuristic"}`]
          : [];
        if (champion && champFallsBack && champMask?.[poolIndex]) {
          const outside = snap.champion?.ranges?.outOfRange(features, poolIndex, cols) ?? [];
          return {
            risk: risk[poolIndex],
            modelId: null,
            modelName: null,
            fallback: true,
            reasons: [
              ...extra,
              fallbackReason(
                `inputs outside the training range of ${champion.name} v${champion.version} (${outside.join(", ")}), where its model card says it is not valid`,
              ),
            ],
          };
        }
        if (champion) {
          return {
            risk: champion.risk[poolIndex],
            modelId: champion.modelId,
            modelName: champion.name,
            fallback: false,
            reasons: extra,
          };
        }
        return {
          risk: risk[poolIndex],
          modelId: null,
          modelName: null,
          fallback: true,
          reasons: [...extra, fallbackLine ?? `${HEURISTIC_MODEL_NAME} decided`],
        };
      },
    };
  }
}

/**
 * The model's launch-failure veto in the replayed spotwise policy, as the daemon applies it (decide job): at each
 * replayed hour the pools spotwise has capacity observations of (the replay's own launches, last 720 h) get the
 * features the daemon would compute there (buildFeatureMatrix on the price records up to that hour, the
 * observations, the on-demand and advisor tables, every pool in play as price context) and are scored by the
 * injected ModelRunner: P(a launch finds no capacity within the hour). A row outside the model's training ranges
 * is not scored when the model says so (fallback), as ChampionChallenger does. Pools without observations get no
 * score. The policy vetoes targets above `maxLaunchFailure`; the score is never added to the interruption risk.
 */
import { buildFeatureMatrix, FEATURE_HISTORY_MS } from "../features/engine.js";
import type { AdvisorTable, OnDemandTable } from "../market/tables.js";
import { TrainingRanges } from "../models/lineage.js";
import type { ModelRunner } from "../ports/model-runner.js";
import type { CapacityPoint, PricePoint, PriceRecord } from "../types.js";
import { type PoolKey, parsePoolId, poolId } from "../types.js";
import type { PriceGrid } from "./grid.js";

const typeKey = (p: PoolKey): string => `${p.region}|${p.instanceType}`;

export interface LaunchModelInput {
  /** The model (the daemon's champion; by default the shipped models/default.onnx), through the core port. */
  runner: ModelRunner;
  /** Every price record of the replay, the initial ones included: the daemon's scraped series. */
  records: readonly PriceRecord[];
  onDemand: OnDemandTable;
  advisor: AdvisorTable;
}

export interface LaunchStats {
  model: string;
  /** Pool-hours the model scored. */
  scored: number;
  /** Pool-hours left unscored because the inputs were outside the model's training ranges. */
  outOfRange: number;
  /** (instance, hour, target) triples where a target was above maxLaunchFailure and so vetoed. */
  vetoed: number;
}

/** Scores the observed pools of one hour; one instance per policy run. */
export class LaunchScorer {
  private readonly series = new Map<string, PricePoint[]>();
  /** Pool ids per (region, type): the price context of a row is its own type in every AZ (the engine's siblings). */
  private readonly siblings = new Map<string, string[]>();
  private readonly ranges: TrainingRanges | null;
  readonly stats: LaunchStats;

  constructor(
    private readonly input: LaunchModelInput,
    private readonly grid: PriceGrid,
    inPlay: Iterable<number>,
  ) {
    const wanted = new Set<string>();
    for (const p of inPlay) wanted.add(grid.ids[p]);
    for (const r of input.records) {
      const id = poolId(r);
      if (!wanted.has(id)) continue;
      let s = this.series.get(id);
      if (!s) {
        s = [];
        this.series.set(id, s);
      }
      s.push({ ts: r.ts, price: r.price });
    }
    for (const s of this.series.values()) s.sort((a, b) => a.ts - b.ts);
    for (const id of this.series.keys()) {
      const k = typeKey(parsePoolId(id));
      this.siblings.set(k, [...(this.siblings.get(k) ?? []), id]);
    }
    const ranges = TrainingRanges.fromMetadata(input.runner.metadata ?? {});
    this.ranges = ranges?.fallbackOutside ? ranges : null;
    this.stats = { model: input.runner.name, scored: 0, outOfRange: 0, vetoed: 0 };
  }

  /** P(launch finds no capacity) per pool index at `now`, for the pools observed within the feature history. */
  async score(now: number, observed: ReadonlyMap<number, readonly CapacityPoint[]>): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const rows: number[] = [];
    const capacity = new Map<string, CapacityPoint[]>();
    for (const [p, points] of observed) {
      const recent = points.filter((c) => c.ts > now - FEATURE_HISTORY_MS && c.ts <= now);
      if (recent.length === 0) continue;
      rows.push(p);
      capacity.set(this.grid.ids[p], recent);
    }
    if (rows.length === 0) return out;
    // the features of a row read its own series and its type's other AZs (no `compatible` given, as the daemon):
    // the series of those pools are all the context the engine needs, the same features as with every pool in play
    const prices = new Map<string, PricePoint[]>();
    for (const p of rows) {
      for (const id of this.siblings.get(typeKey(this.grid.pools[p])) ?? []) {
        prices.set(id, this.series.get(id) as PricePoint[]);
      }
    }
    const f = buildFeatureMatrix({
      now,
      pools: rows.map((p) => this.grid.pools[p]),
      prices,
      capacity,
      onDemand: this.input.onDemand,
      advisor: this.input.advisor,
    });
    const probs = await this.input.runner.predict(f.matrix, f.rows, f.cols);
    const outside = this.ranges?.mask(f.matrix, f.rows, f.cols);
    rows.forEach((p, i) => {
      if (outside?.[i]) {
        this.stats.outOfRange++;
        return;
      }
      if (!Number.isFinite(probs[i])) return;
      out.set(p, probs[i]);
      this.stats.scored++;
    });
    return out;
  }
}

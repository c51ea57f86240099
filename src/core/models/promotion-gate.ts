/**
 * The promotion gate: a challenger becomes champion only after it has shadowed long enough, on enough labelled
 * outcomes, and when its paired comparison with the champion (same pools, same ticks, same outcomes) is not
 * worse beyond the 95% block-bootstrap interval. Every refusal says which condition failed, with the numbers.
 */
import type { Clock } from "../ports/clock.js";
import type { ModelRecord } from "./model-repository.js";
import { type ExperimentQueries, type PairedComparison, pairedComparison } from "./paired.js";

export interface PromotionGateSettings {
  /** Hours since the challenger's first stored prediction (default 72). */
  minShadowHours: number;
  /** Labelled outcomes (paired with the champion's when there is one) (default 200). */
  minOutcomes: number;
}

export const DEFAULT_GATE: PromotionGateSettings = { minShadowHours: 72, minOutcomes: 200 };

export interface GateVerdict {
  ok: boolean;
  /** One line per failed condition, with the numbers. */
  failures: string[];
  shadowHours: number;
  outcomes: number;
  unknownOutcomes: number;
  paired: PairedComparison | null;
  settings: PromotionGateSettings;
}

const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : "n/a");
const signed = (v: number) => (v >= 0 ? `+${f(v)}` : f(v));

export class PromotionGate {
  constructor(
    private readonly deps: { queries: ExperimentQueries; clock: Clock; settings?: Partial<PromotionGateSettings> },
  ) {}

  get settings(): PromotionGateSettings {
    return { ...DEFAULT_GATE, ...(this.deps.settings ?? {}) };
  }

  async evaluate(candidate: ModelRecord, champion: ModelRecord | null): Promise<GateVerdict> {
    const s = this.settings;
    const now = this.deps.clock.now();
    const own = await this.deps.queries.modelOutcomes(candidate.id);
    const shadowHours = own.firstTickAt === null ? 0 : Math.max(0, (now - own.firstTickAt) / 3_600_000);
    const failures: string[] = [];
    if (shadowHours < s.minShadowHours) {
      failures.push(
        own.firstTickAt === null
          ? `it has never been scored: shadow it first ('models shadow ${candidate.name}@${candidate.version}') for at least ${s.minShadowHours} h`
          : `it has shadowed for ${shadowHours.toFixed(1)} h, the gate needs ${s.minShadowHours} h`,
      );
    }
    let paired: PairedComparison | null = null;
    let outcomes = own.labelled;
    if (champion) {
      paired = await pairedComparison(this.deps.queries, champion.id, candidate.id);
      outcomes = paired.n;
      if (paired.n < s.minOutcomes) {
        failures.push(
          `${paired.n} labelled outcomes paired with the champion's (same pool, same tick), the gate needs ${s.minOutcomes}${own.unknown ? `; ${own.unknown} of its predictions had no observed outcome and do not count` : ""}`,
        );
      } else {
        for (const [name, d] of [
          ["Brier", paired.brier],
          ["log loss", paired.logLoss],
        ] as const) {
          if (d.ci[0] > 0) {
            failures.push(
              `it is worse than the champion beyond the interval: ${name} ${signed(d.diff)} (95% CI [${f(d.ci[0])}, ${f(d.ci[1])}]) on ${paired.n} paired outcomes (effective n ${Math.round(paired.nEff)}, ${paired.blocks} pool-days)`,
            );
          }
        }
      }
    } else if (own.labelled < s.minOutcomes) {
      failures.push(`${own.labelled} labelled outcomes, the gate needs ${s.minOutcomes}`);
    }
    return {
      ok: failures.length === 0,
      failures,
      shadowHours,
      outcomes,
      unknownOutcomes: own.unknown,
      paired,
      settings: s,
    };
  }
}

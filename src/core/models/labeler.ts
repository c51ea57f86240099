/**
 * Labels predictions once their horizon has passed, from the observed capacity series: outcome 1 when the pool
 * has a capacity observation with available = 0 at a time in (tickAt, tickAt + horizon], 0 when it was observed
 * in that window and never unavailable (the training label: "capacity lost at any tick within the next hour"),
 * and -1 (unknown) when nothing was observed in the window: no news is not "no loss", and unknown outcomes are
 * counted but never scored. Price moves do not label outcomes.
 */
import type { Clock } from "../ports/clock.js";
import type { MarketStore } from "../ports/market-store.js";
import type { CapacityPoint } from "../types.js";
import type { Outcome, PredictionRecord, PredictionRepository } from "./prediction-repository.js";

export function outcomeFrom(points: readonly CapacityPoint[], tickAt: number, labelAt: number): Outcome {
  let observed = false;
  for (const p of points) {
    if (p.ts <= tickAt || p.ts > labelAt) continue;
    if (p.available === 0) return 1;
    observed = true;
  }
  return observed ? 0 : -1;
}

export class OutcomeLabeler {
  constructor(
    private readonly deps: {
      predictions: PredictionRepository;
      market: Pick<MarketStore, "readCapacity">;
      clock: Clock;
    },
  ) {}

  /** Labels up to `limit` due predictions per call; returns how many were labelled. */
  async labelDue(limit = 10_000): Promise<{ labelled: number; losses: number; unknown: number }> {
    const now = this.deps.clock.now();
    const due = await this.deps.predictions.listDue(now, limit);
    if (due.length === 0) return { labelled: 0, losses: 0, unknown: 0 };
    const pools = [...new Set(due.map((d) => d.pool))];
    const since = Math.min(...due.map((d) => d.tickAt));
    const series = await this.deps.market.readCapacity(pools, since);
    const items = due.map((d: PredictionRecord) => ({
      id: d.id,
      outcome: outcomeFrom(series.get(d.pool) ?? [], d.tickAt, d.labelAt),
    }));
    await this.deps.predictions.setOutcomes(items, now);
    const unknown = items.filter((i) => i.outcome === -1).length;
    return { labelled: items.length - unknown, losses: items.filter((i) => i.outcome === 1).length, unknown };
  }
}

/**
 * The cleanup tick: images past retention, expired recommendations, market history past retention, and the
 * decision, prediction and tick-log rows past theirs (config `retention`).
 */
import type { MarketStore } from "../../core/ports/market-store.js";
import type { RecommendationPublisher } from "../../core/recommendations/publisher.js";
import type { SwitchSagaRunner } from "../../core/switch/saga.js";
import type { Job } from "../job.js";

export class CleanupJob implements Job {
  readonly name = "cleanup" as const;
  constructor(
    private readonly d: {
      runner: Pick<SwitchSagaRunner, "cleanupImages">;
      publisher: Pick<RecommendationPublisher, "expireDue">;
      market: Pick<MarketStore, "prune">;
      retentionMs: number;
      history?: { prune(now: number): Promise<{ decisions: number; predictions: number; tickRuns: number }> };
    },
  ) {}

  async tick(now: number): Promise<Record<string, unknown>> {
    const images = await this.d.runner.cleanupImages();
    const expired = await this.d.publisher.expireDue();
    const pruned = await this.d.market.prune(now - this.d.retentionMs);
    const history = this.d.history ? await this.d.history.prune(now) : null;
    return {
      ...images,
      expiredRecommendations: expired.length,
      prunedPoints: pruned.removed,
      ...(history
        ? {
            prunedDecisions: history.decisions,
            prunedPredictions: history.predictions,
            prunedTickRuns: history.tickRuns,
          }
        : {}),
    };
  }
}

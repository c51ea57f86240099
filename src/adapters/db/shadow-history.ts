/** What the shadow period produced, for the safety checklist: read from the decision and recommendation tables. */
import type { ShadowHistory, ShadowHistorySource } from "../../core/control/checklist.js";
import type { EpochMs } from "../../core/types.js";
import { DecisionEntity, RecommendationEntity } from "./entities.js";
import type { Database } from "./orm.js";

export class DbShadowHistory implements ShadowHistorySource {
  constructor(private readonly db: Database) {}

  async shadowHistory(since: EpochMs): Promise<ShadowHistory> {
    const em = this.db.em();
    // MikroORM refuses an empty where: every row has a tick time
    const first = await em.findOne(
      DecisionEntity,
      { tickAt: { $gte: new Date(0) } },
      { orderBy: { tickAt: "asc" }, fields: ["tickAt"] },
    );
    const [recommendations, counterfactuals] = await Promise.all([
      em.count(RecommendationEntity, { createdAt: { $gte: new Date(since) } }),
      em.count(DecisionEntity, {
        action: "SWITCH",
        mode: "shadow",
        tickAt: { $gte: new Date(since) },
        realizedSavingUsd: { $ne: null },
      }),
    ]);
    return { firstDecisionAt: first ? first.tickAt.getTime() : null, recommendations, counterfactuals };
  }
}

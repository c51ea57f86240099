/** The numbers of the daily digest, read from the decision, recommendation and switch tables. */
import { DecisionEntity, RecommendationEntity } from "./entities.js";
import { SwitchExecutionEntity } from "./entities-ops.js";
import type { Database } from "./orm.js";

const DAY = 86_400_000;

export interface DigestFacts {
  decisions: Record<string, number>;
  switches: { ok: number; rolledBack: number; failed: number };
  realizedSavingsUsd: number;
  counterfactualSavingsUsd: number;
  series: Array<{ day: string; realized: number; counterfactual: number }>;
}

export class DigestQueries {
  constructor(private readonly db: Database) {}

  /** Facts for the day [dayStart, dayStart + 24 h) and the 30 days that end with it. */
  async facts(dayStart: number): Promise<DigestFacts> {
    const em = this.db.em();
    const dayEnd = dayStart + DAY;
    const seriesStart = dayEnd - 30 * DAY;
    const decisions = await em.find(DecisionEntity, { tickAt: { $gte: new Date(dayStart), $lt: new Date(dayEnd) } });
    const byAction: Record<string, number> = {};
    for (const d of decisions) byAction[d.action] = (byAction[d.action] ?? 0) + 1;

    const sagas = await em.find(SwitchExecutionEntity, {
      finishedAt: { $gte: new Date(dayStart), $lt: new Date(dayEnd) },
    });
    const switches = {
      ok: sagas.filter((s) => s.state === "done").length,
      rolledBack: sagas.filter((s) => s.state === "rolled_back").length,
      failed: sagas.filter((s) => s.state !== "done" && s.state !== "rolled_back" && s.state !== "refused").length,
    };

    const realizedRows = await em.find(DecisionEntity, {
      action: "SWITCH",
      realizedAt: { $gte: new Date(seriesStart), $lt: new Date(dayEnd) },
    });
    const executed = new Set(
      (
        await em.find(RecommendationEntity, {
          decisionId: { $in: realizedRows.map((r) => r.id) },
          status: "done",
        })
      ).map((r) => r.decisionId),
    );
    const days = new Map<string, { realized: number; counterfactual: number }>();
    for (let t = seriesStart; t < dayEnd; t += DAY) days.set(isoDay(t), { realized: 0, counterfactual: 0 });
    let realized = 0;
    let counterfactual = 0;
    for (const r of realizedRows) {
      const v = r.realizedSavingUsd ?? 0;
      const bucket = days.get(isoDay(r.realizedAt?.getTime() ?? dayStart));
      const isExecuted = executed.has(r.id);
      if (bucket) {
        if (isExecuted) bucket.realized += v;
        else bucket.counterfactual += v;
      }
      const inDay = (r.realizedAt?.getTime() ?? 0) >= dayStart;
      if (inDay && isExecuted) realized += v;
      if (inDay && !isExecuted) counterfactual += v;
    }
    return {
      decisions: byAction,
      switches,
      realizedSavingsUsd: round(realized),
      counterfactualSavingsUsd: round(counterfactual),
      series: [...days].map(([day, v]) => ({
        day,
        realized: round(v.realized),
        counterfactual: round(v.counterfactual),
      })),
    };
  }
}

function isoDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

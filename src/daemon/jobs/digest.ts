/**
 * The digest tick: yesterday's realized and missed savings (each instance and recommendation counted once,
 * priced on the price series), decisions per instance, switches, breakers and experiments, with a 30-day chart.
 */
import type { DigestFacts } from "../../adapters/db/digest-repo.js";
import type { ControlService } from "../../core/control/service.js";
import { missedIntervals, realizedIntervals, round2, savingsIn } from "../../core/digest/savings.js";
import type { ExperimentReport } from "../../core/models/experiment-report.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import type { DigestReport, Notifier } from "../../core/ports/notifier.js";
import { poolId } from "../../core/types.js";
import type { Job } from "../job.js";

const DAY = 86_400_000;

export class DigestJob implements Job {
  readonly name = "digest" as const;
  last: DigestReport | null = null;

  constructor(
    private readonly d: {
      facts: { facts(dayStart: number): Promise<DigestFacts> };
      market: Pick<MarketStore, "readPrices">;
      control: Pick<ControlService, "status">;
      experiments: () => Promise<ExperimentReport>;
      notifier: Notifier;
    },
  ) {}

  /** The report of the UTC day that starts at `dayStart`, without posting it. */
  async report(dayStart: number): Promise<DigestReport> {
    const [facts, control, experiments] = await Promise.all([
      this.d.facts.facts(dayStart),
      this.d.control.status(),
      this.d.experiments(),
    ]);
    const dayEnd = dayStart + DAY;
    const realized = realizedIntervals(facts.completed, facts.goneAt);
    const missed = missedIntervals(facts.advice);
    const ids = [...new Set([...realized, ...missed].flatMap((i) => [poolId(i.from), poolId(i.to)]))];
    // only the window is priced: the store returns the price in effect at its start too
    const series = ids.length ? await this.d.market.readPrices(ids, facts.windowStart) : new Map();
    const day = {
      realized: savingsIn(realized, series, dayStart, dayEnd),
      missed: savingsIn(missed, series, dayStart, dayEnd),
    };
    const days: DigestReport["series"] = [];
    for (let t = facts.windowStart; t < dayEnd; t += DAY) {
      days.push({
        day: isoDay(t),
        realized: round2(savingsIn(realized, series, t, t + DAY).usd),
        counterfactual: round2(savingsIn(missed, series, t, t + DAY).usd),
      });
    }
    return {
      day: isoDay(dayStart),
      realizedSavingsUsd: round2(day.realized.usd),
      counterfactualSavingsUsd: round2(day.missed.usd),
      hours: { realized: round2(day.realized.hours), missed: round2(day.missed.hours) },
      decisions: facts.decisions,
      instances: facts.instances,
      ticks: facts.ticks,
      switches: facts.switches,
      breakers: control.breakers.map((b) => ({ accountId: b.accountId, state: b.state })),
      experiments: experiments.models.map((m) => ({
        model: `${m.name} v${m.version ?? "?"}`,
        auc: m.auc,
        brier: m.brier,
        n: m.n,
      })),
      series: days,
    };
  }

  /** Reports the last full UTC day before `now` (at 09:00 that is yesterday). */
  async tick(now: number): Promise<Record<string, unknown>> {
    const report = await this.report(Math.floor(now / DAY) * DAY - DAY);
    await this.d.notifier.digest(report);
    this.last = report;
    return {
      day: report.day,
      realizedSavingsUsd: report.realizedSavingsUsd,
      counterfactualSavingsUsd: report.counterfactualSavingsUsd,
      switches: report.switches,
    };
  }
}

function isoDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

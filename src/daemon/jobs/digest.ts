/** The digest tick: yesterday's savings, decisions, switches, breakers and experiments, with a 30-day chart. */
import type { DigestFacts } from "../../adapters/db/digest-repo.js";
import type { ControlService } from "../../core/control/service.js";
import type { ExperimentReport } from "../../core/models/experiment-report.js";
import type { DigestReport, Notifier } from "../../core/ports/notifier.js";
import type { Job } from "../job.js";

const DAY = 86_400_000;

export class DigestJob implements Job {
  readonly name = "digest" as const;
  last: DigestReport | null = null;

  constructor(
    private readonly d: {
      facts: { facts(dayStart: number): Promise<DigestFacts> };
      control: Pick<ControlService, "status">;
      experiments: () => Promise<ExperimentReport>;
      notifier: Notifier;
    },
  ) {}

  /** Reports the last full UTC day before `now` (at 09:00 that is yesterday). */
  async tick(now: number): Promise<Record<string, unknown>> {
    const dayStart = Math.floor(now / DAY) * DAY - DAY;
    const [facts, control, experiments] = await Promise.all([
      this.d.facts.facts(dayStart),
      this.d.control.status(),
      this.d.experiments(),
    ]);
    const report: DigestReport = {
      day: new Date(dayStart).toISOString().slice(0, 10),
      realizedSavingsUsd: facts.realizedSavingsUsd,
      counterfactualSavingsUsd: facts.counterfactualSavingsUsd,
      decisions: facts.decisions,
      switches: facts.switches,
      breakers: control.breakers.map((b) => ({ accountId: b.accountId, state: b.state })),
      experiments: experiments.models.map((m) => ({
        model: `${m.name} v${m.version ?? "?"}`,
        auc: m.auc,
        brier: m.brier,
        n: m.n,
      })),
      series: facts.series,
    };
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

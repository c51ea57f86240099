/** `spotwise experiments report`: champion vs shadows (and lab models) on realized outcomes. */
import type { Command } from "commander";
import { buildExperimentReport } from "../../app/experiments.js";
import { loadConfig } from "../../config/load.js";
import { CliExit, type CliIo } from "../io.js";
import { openModelServices } from "./models.js";

const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : "n/a");

export function register(program: Command, io: CliIo): void {
  const exp = program.command("experiments").description("Compare models on realized outcomes");
  exp
    .command("report")
    .description(
      "AUC, Brier and log loss per model on labelled predictions, and the decisions each model would have changed",
    )
    .option("--since <iso>", "only ticks from this time on (ISO-8601)")
    .option("--json", "print JSON")
    .action(async (opts: { since?: string; json?: boolean }) => {
      const since = opts.since === undefined ? undefined : Date.parse(opts.since);
      if (since !== undefined && Number.isNaN(since)) {
        throw new CliExit(2, `spotwise experiments report: --since "${opts.since}" is not an ISO-8601 time`);
      }
      const riskCeiling = loadConfig(io.env).file.policy.riskCeiling;
      const { db, registry } = await openModelServices(io);
      try {
        const report = await buildExperimentReport(db, registry, riskCeiling, since);
        if (opts.json) return io.stdout(JSON.stringify(report, null, 2));
        if (report.models.length === 0) {
          return io.stdout("no labelled predictions yet: outcomes are labelled one hour after each scored tick");
        }
        io.stdout(
          `${report.labelled} labelled predictions; ${report.decisionsCompared} decisions compared (risk ceiling ${riskCeiling})`,
        );
        io.stdout(
          `${"model".padEnd(24)} ${"status".padEnd(9)} ${"n".padStart(7)} ${"AUC".padStart(6)} ${"Brier".padStart(6)} ${"logloss".padStart(7)} ${"decided".padStart(7)} ${"differ".padStart(6)} ${"forgone $/h".padStart(11)} ${"avoided".padStart(7)}`,
        );
        for (const m of report.models) {
          io.stdout(
            `${`${m.name} v${m.version ?? "?"}`.padEnd(24)} ${m.status.padEnd(9)} ${String(m.n).padStart(7)} ${f(m.auc, 3).padStart(6)} ${f(m.brier, 3).padStart(6)} ${f(m.log_loss, 3).padStart(7)} ${String(m.decisionsMade).padStart(7)} ${String(m.wouldDiffer).padStart(6)} ${f(m.forgoneSavingPerHour, 4).padStart(11)} ${String(m.avoidedDisruptions).padStart(7)}`,
          );
        }
        io.stdout(
          "decided: decisions the model made (non-champions: lab subjects); differ: decisions by other models it would have changed",
        );
      } finally {
        await db.close();
      }
    });
}

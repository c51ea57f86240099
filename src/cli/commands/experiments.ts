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
      "Per model on observed outcomes: AUC, Brier, log loss, ECE; each challenger vs the champion on the same rows with 95% intervals; switch recommendations it would have blocked and the saving forgone",
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
          `${report.labelled} labelled predictions (${report.unknown} with no observed outcome and ${report.pending} pending: not scored); one per model, pool and hour`,
        );
        io.stdout(
          `${"model".padEnd(24)} ${"status".padEnd(9)} ${"n".padStart(7)} ${"AUC".padStart(6)} ${"Brier".padStart(6)} ${"logloss".padStart(7)} ${"ECE".padStart(6)}  vs champion, same rows (Δ = model − champion, 95% CI)`,
        );
        for (const m of report.models) {
          const p = m.paired;
          const vs = p
            ? `n ${p.n} (eff. ${Math.round(p.nEff)}); AUC ${f(p.auc, 3)} vs ${f(p.championAuc, 3)}; ΔBrier ${f(p.brierDiff)} [${f(p.brierCi[0])}, ${f(p.brierCi[1])}]; Δlogloss ${f(p.logLossDiff)} [${f(p.logLossCi[0])}, ${f(p.logLossCi[1])}]`
            : m.status === "champion"
              ? "(champion)"
              : "no rows in common with the champion";
          io.stdout(
            `${`${m.name} v${m.version ?? "?"}`.padEnd(24)} ${m.status.padEnd(9)} ${String(m.n).padStart(7)} ${f(m.auc, 3).padStart(6)} ${f(m.brier, 3).padStart(6)} ${f(m.log_loss, 3).padStart(7)} ${f(m.ece, 3).padStart(6)}  ${vs}`,
          );
        }
        io.stdout("");
        io.stdout(
          `${report.decisionsCompared} switch recommendations compared (risk ceiling ${riskCeiling}); a recommendation counts once, for the hours it stood`,
        );
        io.stdout(
          `${"model".padEnd(24)} ${"made".padStart(5)} ${"would block".padStart(11)} ${"forgone $".padStart(10)} ${"over h".padStart(7)} ${"avoided".padStart(7)}`,
        );
        for (const m of report.models) {
          io.stdout(
            `${`${m.name} v${m.version ?? "?"}`.padEnd(24)} ${String(m.decisionsMade).padStart(5)} ${String(m.wouldDiffer).padStart(11)} ${f(m.forgoneSavingUsd, 2).padStart(10)} ${f(m.forgoneHours, 1).padStart(7)} ${String(m.avoidedDisruptions).padStart(7)}`,
          );
        }
        io.stdout(
          "made: recommendations the model made (non-champions: lab subjects); would block: others' recommendations whose target it rated above the risk ceiling; avoided: of those, targets that then lost capacity",
        );
      } finally {
        await db.close();
      }
    });
}

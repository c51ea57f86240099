/**
 * `spotwise risk-eval`: a model and two baselines on capacity traces, scored only on held-out rows (the last
 * --holdout share of every trace, after a gap of the label horizon), pooled and per slice (capacity available
 * now / unavailable now), with block-bootstrap intervals over whole traces.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { OnnxModelLoader } from "../../adapters/onnx/runner.js";
import { errorMessage } from "../../core/errors.js";
import { META_SPLIT } from "../../core/models/lineage.js";
import { DEFAULT_HOLDOUT, type EvalBlock, riskEval } from "../../core/models/risk-eval.js";
import { parseTraces, TRACE_HORIZON_MS } from "../../core/models/traces.js";
import { DEFAULT_MAX_MODEL_BYTES, validateModel } from "../../core/models/validate.js";
import { CliExit, type CliIo } from "../io.js";

function readOrExit(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliExit(2, `spotwise risk-eval: cannot read ${what} ${path}: ${errorMessage(e)}`);
  }
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : "n/a");

function number(flag: string, v: string | undefined, ok: (n: number) => boolean, want: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !ok(n)) throw new CliExit(2, `spotwise risk-eval: ${flag} ${v} is not ${want}`);
  return n;
}

/** Warns when the model declares a training split that overlaps the rows evaluated here. */
function splitWarning(metadata: Record<string, string>, holdout: number): string | null {
  const raw = metadata[META_SPLIT];
  if (!raw) {
    return "the model does not declare its training split: held-out rows here may have trained it (metrics may flatter it)";
  }
  try {
    const s = JSON.parse(raw) as { holdout?: number };
    if (typeof s.holdout === "number" && s.holdout + 1e-9 < holdout) {
      return `the model trained on all but the last ${s.holdout} of each trace: with --holdout ${holdout} some evaluated rows trained it`;
    }
  } catch {
    return `the model's ${META_SPLIT} metadata is not JSON`;
  }
  return null;
}

function table(io: CliIo, title: string, b: EvalBlock): void {
  io.stdout("");
  io.stdout(
    `${title}: ${b.rows} rows, ${b.positives} positive (${b.rows ? ((100 * b.positives) / b.rows).toFixed(1) : "0"}%)`,
  );
  io.stdout(
    `${"predictor".padEnd(36)} ${"AUC".padStart(7)} ${"95% CI".padStart(17)} ${"Brier".padStart(7)} ${"logloss".padStart(8)} ${"ECE".padStart(7)} ${"n".padStart(8)}`,
  );
  for (const r of b.predictors) {
    io.stdout(
      `${r.name.padEnd(36)} ${fmt(r.auc).padStart(7)} ${`[${fmt(r.auc_ci95[0])}, ${fmt(r.auc_ci95[1])}]`.padStart(17)} ${fmt(r.brier).padStart(7)} ${fmt(r.log_loss).padStart(8)} ${fmt(r.ece).padStart(7)} ${String(r.n).padStart(8)}`,
    );
  }
}

export function register(program: Command, io: CliIo): void {
  program
    .command("risk-eval")
    .description(
      "Score a model and two baselines on the held-out part of capacity traces (AUC with a trace-bootstrap interval, Brier, log loss, ECE; pooled and by capacity available now / unavailable now)",
    )
    .requiredOption("--traces <file>", "capacity traces CSV (format of spot-traces.csv; 1-node traces are used)")
    .option("--model <file>", "ONNX model to evaluate (validated first)")
    .option(
      "--holdout <share>",
      `evaluate the last share of each trace's time span (0 < share <= 1)`,
      String(DEFAULT_HOLDOUT),
    )
    .option("--gap-minutes <m>", "skip rows this long after the split (default: the label horizon, 60)")
    .option("--replicates <n>", "bootstrap replicates for the intervals", "1000")
    .option(
      "--json",
      'print JSON: { "rows", "positives", "predictors": [ { "name", "auc", "auc_ci95", "brier", "log_loss", "ece", "n" } ], "slices": { "available_now", "unavailable_now" } }',
    )
    .action(
      async (opts: {
        traces: string;
        model?: string;
        holdout: string;
        gapMinutes?: string;
        replicates: string;
        json?: boolean;
      }) => {
        const holdout = number("--holdout", opts.holdout, (n) => n > 0 && n <= 1, "a share in (0, 1]") as number;
        const gapMin = number("--gap-minutes", opts.gapMinutes, (n) => n >= 0, "a number of minutes >= 0");
        const replicates = number(
          "--replicates",
          opts.replicates,
          (n) => Number.isInteger(n) && n >= 0,
          "an integer >= 0",
        );
        const traces = parseTraces(readOrExit(resolve(io.cwd, opts.traces), "traces file").toString("utf8"));
        if (traces.length === 0) throw new CliExit(2, `spotwise risk-eval: ${opts.traces} has no 1-node traces`);
        let model: { name: string; runner: Awaited<ReturnType<OnnxModelLoader["load"]>> } | undefined;
        let warning: string | null = null;
        if (opts.model) {
          const bytes = new Uint8Array(readOrExit(resolve(io.cwd, opts.model), "model file"));
          const name = `model:${opts.model.split("/").pop()}`;
          const loader = new OnnxModelLoader();
          const summary = await validateModel(bytes, {
            describe: (b) => loader.describe(b),
            loader,
            maxBytes: DEFAULT_MAX_MODEL_BYTES,
          });
          warning = splitWarning(summary.metadata, holdout);
          model = { name, runner: await loader.load({ modelId: name, name, bytes }) };
        }
        try {
          const gapMs = gapMin === undefined ? TRACE_HORIZON_MS : gapMin * 60_000;
          const { split, ...result } = await riskEval(traces, model, { holdout, gapMs, replicates });
          if (warning) io.stderr(`spotwise risk-eval: warning: ${warning}`);
          if (opts.json) {
            const { rows, positives, predictors, slices } = result;
            io.stdout(JSON.stringify({ rows, positives, predictors, slices }));
            return;
          }
          io.stdout(
            `held-out rows only: the last ${Math.round(holdout * 100)}% of each trace's time span, after a gap of ${gapMs / 60_000} min (label horizon 60 min); ${split.rowsBeforeSplit} earlier rows not scored`,
          );
          io.stdout(
            `${traces.length} traces (${split.tracesEvaluated} with held-out rows); label: capacity lost (value 0) at any tick within the next hour`,
          );
          io.stdout(`95% CI: block bootstrap over whole traces (${split.replicates} replicates)`);
          table(io, "all held-out rows", result);
          table(io, "capacity available now (the decisions that matter)", result.slices.available_now);
          table(io, "capacity unavailable now", result.slices.unavailable_now);
        } finally {
          await model?.runner.close();
        }
      },
    );
}

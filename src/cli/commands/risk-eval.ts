import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { OnnxModelLoader } from "../../adapters/onnx/runner.js";
import { errorMessage } from "../../core/errors.js";
import { riskEval } from "../../core/models/risk-eval.js";
import { parseTraces } from "../../core/models/traces.js";
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

export function register(program: Command, io: CliIo): void {
  program
    .command("risk-eval")
    .description(
      "Score a model and two baselines on capacity traces (AUC, Brier, log loss; label: capacity lost within the next hour)",
    )
    .requiredOption("--traces <file>", "capacity traces CSV (format of spot-traces.csv; 1-node traces are used)")
    .option("--model <file>", "ONNX model to evaluate (validated first)")
    .option("--json", "print JSON: { predictors: [ { name, auc, brier, log_loss, n } ] }")
    .action(async (opts: { traces: string; model?: string; json?: boolean }) => {
      const traces = parseTraces(readOrExit(resolve(io.cwd, opts.traces), "traces file").toString("utf8"));
      if (traces.length === 0) throw new CliExit(2, `spotwise risk-eval: ${opts.traces} has no 1-node traces`);
      let model: { name: string; runner: Awaited<ReturnType<OnnxModelLoader["load"]>> } | undefined;
      if (opts.model) {
        const bytes = new Uint8Array(readOrExit(resolve(io.cwd, opts.model), "model file"));
        const name = `model:${opts.model.split("/").pop()}`;
        const loader = new OnnxModelLoader();
        await validateModel(bytes, { describe: (b) => loader.describe(b), loader, maxBytes: DEFAULT_MAX_MODEL_BYTES });
        model = { name, runner: await loader.load({ modelId: name, name, bytes }) };
      }
      try {
        const result = await riskEval(traces, model);
        if (opts.json) {
          io.stdout(JSON.stringify(result));
          return;
        }
        io.stdout(`${traces.length} traces; label: capacity lost (value 0) at any tick within the next hour`);
        io.stdout(
          `${"predictor".padEnd(40)} ${"AUC".padStart(7)} ${"Brier".padStart(7)} ${"logloss".padStart(8)} ${"n".padStart(8)}`,
        );
        for (const r of result.predictors) {
          io.stdout(
            `${r.name.padEnd(40)} ${fmt(r.auc).padStart(7)} ${fmt(r.brier).padStart(7)} ${fmt(r.log_loss).padStart(8)} ${String(r.n).padStart(8)}`,
          );
        }
      } finally {
        await model?.runner.close();
      }
    });
}

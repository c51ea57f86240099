/**
 * Batch inference for 5,000 pools through the spotwise runner (OnnxModelLoader, models/default.onnx) vs a raw
 * onnxruntime InferenceSession.run on the same float32 tensor. The rows are real capacity-feature rows computed by
 * the TypeScript engine from ../shared/data/aux/spot-traces.csv (other features NaN, as in production without
 * prices); without that file, the golden vectors repeated.
 */
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { OnnxModelLoader } from "../src/adapters/onnx/runner.js";
import { FEATURE_COUNT } from "../src/core/features/contract.js";
import { goldenMatrix } from "../src/core/models/golden.js";
import { traceFeatureMatrix } from "../src/core/models/risk-eval.js";
import { parseTraces } from "../src/core/models/traces.js";
import { DEFAULT_MODEL_PATH } from "../test/adapters/onnx-fixtures.js";
import { sharedDataFile } from "./data.js";
import { type BenchResult, medianMs } from "./types.js";

const POOLS = 5_000;

/** aux/spot-traces.csv of the shared data, if it is there. */
function tracesFile(): string | null {
  try {
    return sharedDataFile("aux/spot-traces.csv");
  } catch {
    return null;
  }
}

function featureRows(): { x: Float32Array; source: string } {
  const x = new Float32Array(POOLS * FEATURE_COUNT);
  const TRACES = tracesFile();
  if (TRACES) {
    const traces = parseTraces(readFileSync(TRACES, "utf8"));
    const per = Math.ceil(POOLS / traces.length);
    let row = 0;
    for (const t of traces) {
      const step = Math.max(1, Math.floor(t.points.length / per));
      const ticks = Array.from({ length: per }, (_, i) => Math.min(t.points.length - 1, i * step)).slice(
        0,
        POOLS - row,
      );
      x.set(traceFeatureMatrix(t, ticks), row * FEATURE_COUNT);
      row += ticks.length;
      if (row >= POOLS) break;
    }
    return { x, source: "spot-traces.csv capacity features" };
  }
  const g = goldenMatrix();
  for (let r = 0; r < POOLS; r++)
    x.set(g.features.subarray((r % g.rows) * g.cols, ((r % g.rows) + 1) * g.cols), r * FEATURE_COUNT);
  return { x, source: "golden vectors repeated" };
}

export async function run(): Promise<BenchResult[]> {
  const bytes = new Uint8Array(readFileSync(DEFAULT_MODEL_PATH));
  const { x, source } = featureRows();
  const runner = await new OnnxModelLoader().load({ modelId: "bench", name: "default", bytes });
  const raw = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all" });
  const tensor = new ort.Tensor("float32", x, [POOLS, FEATURE_COUNT]);
  try {
    const rawMs = await medianMs(() => raw.run({ input: tensor }, ["probabilities"]), 15, 3);
    const runnerMs = await medianMs(() => runner.predict(x, POOLS, FEATURE_COUNT), 15, 3);
    return [
      {
        name: `default.onnx batch inference, ${POOLS} pools`,
        value: runnerMs,
        unit: "ms",
        baseline: { name: "raw onnxruntime run, same tensor", value: rawMs },
        notes: `rows: ${source}; ${((POOLS / runnerMs) * 1000).toFixed(0)} pools/s through the runner`,
      },
    ];
  } finally {
    await runner.close();
    await raw.release();
  }
}

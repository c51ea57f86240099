/**
 * The committed default model: onnxruntime reproduces the trainer's (scikit-learn) probabilities on held-out
 * validation rows written by training/train.py, and the model passes validation.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_HOLDOUT_PATH, DEFAULT_MODEL_PATH } from "../../../test/adapters/onnx-fixtures.js";
import { FEATURE_COUNT, FEATURE_NAMES } from "../../core/features/contract.js";
import { DEFAULT_MAX_MODEL_BYTES, validateModel } from "../../core/models/validate.js";
import { OnnxModelLoader } from "./runner.js";

interface Holdout {
  feature_names: string[];
  rows: (number | null)[][];
  probabilities: number[];
}

describe("models/default.onnx", () => {
  const bytes = new Uint8Array(readFileSync(DEFAULT_MODEL_PATH));
  const holdout = JSON.parse(readFileSync(DEFAULT_HOLDOUT_PATH, "utf8")) as Holdout;

  it("reproduces the trainer's probabilities on held-out rows", async () => {
    expect(holdout.feature_names).toEqual([...FEATURE_NAMES]);
    expect(holdout.rows.length).toBeGreaterThanOrEqual(100);
    const n = holdout.rows.length;
    const x = new Float32Array(n * FEATURE_COUNT);
    holdout.rows.forEach((row, i) => {
      row.forEach((v, j) => {
        x[i * FEATURE_COUNT + j] = v === null ? Number.NaN : v;
      });
    });
    const runner = await new OnnxModelLoader().load({ modelId: "d", name: "default", bytes });
    const p = await runner.predict(x, n, FEATURE_COUNT);
    let maxDiff = 0;
    for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(p[i] - holdout.probabilities[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    await runner.close();
  });

  it("passes validation and declares the contract", async () => {
    const loader = new OnnxModelLoader();
    const s = await validateModel(bytes, {
      describe: (b) => loader.describe(b),
      loader,
      maxBytes: DEFAULT_MAX_MODEL_BYTES,
    });
    expect(s.contractVersion).toBe("spotwise-features/1");
    expect(s.output).toEqual({ name: "probabilities", kind: "tensor2" });
    expect(s.metadata["spotwise.model_name"]).toBe("default");
  });
});

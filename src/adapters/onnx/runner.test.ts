import { describe, expect, it } from "vitest";
import { fixtureBytes } from "../../../test/adapters/onnx-fixtures.js";
import { FEATURE_COUNT } from "../../core/features/contract.js";
import { goldenMatrix } from "../../core/models/golden.js";
import { readOnnxModel } from "./onnx-model.js";
import { OnnxModelLoader } from "./runner.js";

const loader = new OnnxModelLoader();

function rowsOf(n: number): Float32Array {
  const m = new Float32Array(n * FEATURE_COUNT);
  for (let i = 0; i < m.length; i++) m[i] = i % 7 === 0 ? Number.NaN : ((i * 37) % 100) / 100;
  return m;
}

describe("OnnxModelLoader", () => {
  it("reads [N,2] probability tensors (column 1)", async () => {
    const r = await loader.load({ modelId: "a", name: "prob2", bytes: fixtureBytes("prob2") });
    const p = await r.predict(rowsOf(5), 5, FEATURE_COUNT);
    expect(p).toHaveLength(5);
    for (const v of p) expect(v).toBeGreaterThanOrEqual(0);
    for (const v of p) expect(v).toBeLessThanOrEqual(1);
    await r.close();
  });

  it("reads a LightGBM-style ZipMap seq(map) output and agrees with the same trees without ZipMap", async () => {
    const desc = readOnnxModel(fixtureBytes("zipmap"));
    const probs = desc.outputs.find((o) => o.name === "probabilities");
    expect(probs?.type.kind).toBe("sequence");
    const zip = await loader.load({ modelId: "z", name: "zipmap", bytes: fixtureBytes("zipmap") });
    const plain = await loader.load({ modelId: "p", name: "prob2", bytes: fixtureBytes("prob2") });
    const x = rowsOf(8);
    const a = await zip.predict(x, 8, FEATURE_COUNT);
    const b = await plain.predict(x, 8, FEATURE_COUNT);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(new Set(Array.from(a)).size).toBeGreaterThan(1);
    await zip.close();
    await plain.close();
  });

  it("reads a [N] output and matches the logistic formula of the fixture", async () => {
    const r = await loader.load({ modelId: "v", name: "vector", bytes: fixtureBytes("vector") });
    const x = rowsOf(3);
    const p = await r.predict(x, 3, FEATURE_COUNT);
    for (let i = 0; i < 3; i++) {
      let z = 0;
      for (let j = 0; j < FEATURE_COUNT; j++) {
        const v = x[i * FEATURE_COUNT + j];
        z += (Number.isNaN(v) ? 0 : v) * (-1 + (2 * j) / (FEATURE_COUNT - 1));
      }
      expect(p[i]).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
    }
    await r.close();
  });

  it("scores a batch in one run and an empty batch without running", async () => {
    const r = await loader.load({ modelId: "v", name: "vector", bytes: fixtureBytes("vector") });
    expect(await r.predict(new Float32Array(0), 0, FEATURE_COUNT)).toHaveLength(0);
    const g = goldenMatrix();
    expect(await r.predict(g.features, g.rows, g.cols)).toHaveLength(g.rows);
    await r.close();
  });

  it("refuses a matrix of the wrong width", async () => {
    const r = await loader.load({ modelId: "v", name: "vector", bytes: fixtureBytes("vector") });
    await expect(r.predict(new Float32Array(10), 1, 10)).rejects.toThrow(/takes 24 features per row, got 10/);
    await r.close();
  });

  it("refuses garbage bytes with a clear error", async () => {
    await expect(loader.load({ modelId: "g", name: "g", bytes: fixtureBytes("garbage") })).rejects.toThrow(
      /not an ONNX model/,
    );
  });
});

/**
 * The training recipe end to end on a small synthetic trace file: training/train.py (Debian /usr/bin/python3,
 * scikit-learn) trains and exports with onnx.helper; onnxruntime (through the runner) reproduces the trainer's
 * probabilities on the held-out rows it wrote, and the exported model passes spotwise's validation.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FEATURE_COUNT } from "../../core/features/contract.js";
import { DEFAULT_MAX_MODEL_BYTES, validateModel } from "../../core/models/validate.js";
import { OnnxModelLoader } from "./runner.js";

const dir = mkdtempSync(join(tmpdir(), "spotwise-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Markov-chain availability with a seeded LCG: sticky runs, losses more likely after recent losses. */
function syntheticTraces(): string {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const lines = ["kind,nodes,trace_set,zone,resource,gap_seconds,tick,offset_seconds,value"];
  for (const zone of ["zone-a", "zone-b", "zone-c"]) {
    let v = 1;
    for (let tick = 0; tick < 3000; tick++) {
      const r = rand();
      v = v === 1 ? (r < 0.01 ? 0 : 1) : r < 0.08 ? 1 : 0;
      lines.push(`availability,1-node,synthetic,${zone},gpu,300,${tick},${tick * 300},${v}`);
    }
  }
  // not a 1-node trace: must be ignored
  lines.push("availability,16-node,synthetic,zone-a,gpu,300,0,0,16");
  return lines.join("\n");
}

describe("training recipe", () => {
  it("trains, exports an ONNX TreeEnsembleClassifier that onnxruntime reproduces, and writes a model card", async () => {
    const traces = join(dir, "traces.csv");
    writeFileSync(traces, syntheticTraces());
    const root = resolve(import.meta.dirname, "../../..");
    execFileSync(
      "/usr/bin/python3",
      [join(root, "training/train.py"), "--traces", traces, "--out", dir, "--max-iter", "25"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const bytes = new Uint8Array(readFileSync(join(dir, "default.onnx")));
    const holdout = JSON.parse(readFileSync(join(dir, "default.holdout.json"), "utf8")) as {
      rows: (number | null)[][];
      probabilities: number[];
    };
    const n = holdout.rows.length;
    expect(n).toBeGreaterThan(100);
    const x = new Float32Array(n * FEATURE_COUNT);
    holdout.rows.forEach((row, i) => {
      row.forEach((v, j) => {
        x[i * FEATURE_COUNT + j] = v === null ? Number.NaN : v;
      });
    });
    const loader = new OnnxModelLoader();
    const runner = await loader.load({ modelId: "t", name: "t", bytes });
    const p = await runner.predict(x, n, FEATURE_COUNT);
    await runner.close();
    const diffs = Array.from(p, (v, i) => Math.abs(v - holdout.probabilities[i]));
    expect(Math.max(...diffs)).toBeLessThan(1e-5);
    expect(new Set(holdout.probabilities.map((v) => v.toFixed(4))).size).toBeGreaterThan(5);

    const summary = await validateModel(bytes, {
      describe: (b) => loader.describe(b),
      loader,
      maxBytes: DEFAULT_MAX_MODEL_BYTES,
    });
    expect(summary.contractVersion).toBe("spotwise-features/1");
    const card = readFileSync(join(dir, "default.card.md"), "utf8");
    expect(card).toMatch(/baseline: capacity lost in the last hour/);
    expect(card).toMatch(/availability\|synthetic\|zone-a\|gpu \| 3000 \| 300/);
    expect(card).toMatch(/training data sha256: `[0-9a-f]{64}`/);

    // lineage and the drift guard travel in the metadata
    expect(summary.lineage.trainingDataSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.lineage.libraries).toMatchObject({ "scikit-learn": expect.any(String), onnx: expect.any(String) });
    expect(summary.lineage.parameters).toMatchObject({ max_iter: 25, random_state: 7 });
    expect(summary.lineage.split).toMatchObject({ per: "trace", holdout: 0.3, purge_ms: 3_600_000 });
    expect(JSON.parse(summary.metadata["spotwise.training_ranges"]).cap_available_now).toEqual([0, 1]);

    // a rebuild (another run, another trained_at) is the same model: same identity, other bytes
    const again = join(dir, "again");
    execFileSync(
      "/usr/bin/python3",
      [join(root, "training/train.py"), "--traces", traces, "--out", again, "--max-iter", "25"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const rebuilt = await validateModel(new Uint8Array(readFileSync(join(again, "default.onnx"))), {
      describe: (b) => loader.describe(b),
      loader,
      maxBytes: DEFAULT_MAX_MODEL_BYTES,
    });
    expect(rebuilt.identity).toBe(summary.identity);
  }, 120_000);
});

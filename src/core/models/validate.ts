/**
 * Full validation of a model file before it may be registered or run: size cap, parse, contract, input,
 * probability output, then a real load and a run on the golden vectors (finite probabilities in [0,1]).
 */
import { createHash } from "node:crypto";
import { CodedError, errorMessage } from "../errors.js";
import type { ModelLoader } from "../ports/model-runner.js";
import { checkContract, checkInput, pickProbabilityOutput } from "./contract-check.js";
import type { ModelDescription, ProbabilityOutput } from "./description.js";
import { GOLDEN_ROWS, goldenMatrix } from "./golden.js";
import { type Lineage, lineageOf, modelIdentity } from "./lineage.js";

export const DEFAULT_MAX_MODEL_BYTES = 50 * 1024 * 1024;

export interface ModelValidationDeps {
  /** Parses the file's header (ONNX: src/adapters/onnx/onnx-model.ts readOnnxModel); throws model_invalid. */
  describe(bytes: Uint8Array): ModelDescription;
  loader: ModelLoader;
  /** Size cap in bytes (config models.maxBytes, default 50 MB). */
  maxBytes: number;
}

export interface ModelSummary {
  sha256: string;
  /** Same model, whatever its volatile metadata (see lineage.ts). */
  identity: string;
  lineage: Lineage;
  sizeBytes: number;
  contractVersion: string;
  featureNames: string[];
  input: { name: string; width: number };
  output: ProbabilityOutput;
  producer: string;
  metadata: Record<string, string>;
  /** The model's P(disruption) on each golden vector, in GOLDEN_ROWS order. */
  golden: { label: string; probability: number }[];
}

function mb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export async function validateModel(bytes: Uint8Array, deps: ModelValidationDeps): Promise<ModelSummary> {
  if (bytes.length === 0) throw new CodedError("model_invalid", "model file is empty");
  if (bytes.length > deps.maxBytes) {
    throw new CodedError(
      "model_invalid",
      `model is ${mb(bytes.length)} (${bytes.length} bytes), over the ${mb(deps.maxBytes)} cap: shrink it or raise models.maxBytes in the config`,
      { sizeBytes: bytes.length, maxBytes: deps.maxBytes },
    );
  }
  const desc = deps.describe(bytes);
  const { contractVersion, featureNames } = checkContract(desc);
  const input = checkInput(desc);
  const output = pickProbabilityOutput(desc);
  let runner: Awaited<ReturnType<ModelLoader["load"]>>;
  try {
    runner = await deps.loader.load({ modelId: "validation", name: "validation", bytes });
  } catch (e) {
    if (e instanceof CodedError && e.code === "model_invalid") throw e;
    throw new CodedError("model_invalid", `onnxruntime cannot load the model: ${errorMessage(e)}`);
  }
  try {
    const g = goldenMatrix();
    let probs: Float32Array;
    try {
      probs = await runner.predict(g.features, g.rows, g.cols);
    } catch (e) {
      throw new CodedError("model_invalid", `model failed on the golden vectors: ${errorMessage(e)}`);
    }
    if (probs.length !== g.rows) {
      throw new CodedError("model_invalid", `model returned ${probs.length} probabilities for ${g.rows} golden rows`);
    }
    const golden = GOLDEN_ROWS.map((r, i) => ({ label: r.label, probability: probs[i] }));
    for (const [i, p] of golden.entries()) {
      if (!Number.isFinite(p.probability)) {
        throw new CodedError(
          "model_invalid",
          `model output is not finite (${p.probability}) on golden vector ${i} (${p.label}): it must return probabilities in [0,1], also for missing (NaN) features`,
        );
      }
      if (p.probability < 0 || p.probability > 1) {
        throw new CodedError(
          "model_invalid",
          `model output ${p.probability} on golden vector ${i} (${p.label}) is not a probability in [0,1]: export probabilities, not raw scores`,
        );
      }
    }
    const sha256 = sha256Hex(bytes);
    return {
      sha256,
      identity: modelIdentity(desc, sha256),
      lineage: lineageOf(desc.metadata),
      sizeBytes: bytes.length,
      contractVersion,
      featureNames,
      input,
      output,
      producer: desc.producer,
      metadata: desc.metadata,
      golden,
    };
  } finally {
    await runner.close();
  }
}

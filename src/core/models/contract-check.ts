/**
 * Static checks of a model against the feature contract: declared contract version and feature names
 * (ONNX metadata_props), one float input of width FEATURE_COUNT, and a probability output spotwise can read.
 * Every failure is a CodedError("model_invalid") whose message says exactly what is wrong and how to fix it.
 */
import { CodedError } from "../errors.js";
import { FEATURE_CONTRACT_VERSION, FEATURE_COUNT, FEATURE_NAMES } from "../features/contract.js";
import { describeType, type ModelDescription, type ProbabilityOutput, type ValueInfo } from "./description.js";
import { META_HORIZON_MS, META_POSITIVE_CLASS, POSITIVE_CLASS } from "./lineage.js";

/** The horizon every model must predict over (capacity lost within the next hour). */
export const MODEL_HORIZON_MS = 3_600_000;

export const META_CONTRACT = "spotwise.feature_contract";
export const META_FEATURE_NAMES = "spotwise.feature_names";

const invalid = (message: string, detail?: Record<string, unknown>) => new CodedError("model_invalid", message, detail);

export function checkContract(desc: ModelDescription): { contractVersion: string; featureNames: string[] } {
  const contract = desc.metadata[META_CONTRACT];
  if (contract === undefined) {
    throw invalid(
      `model declares no feature contract: add metadata_props ${META_CONTRACT}="${FEATURE_CONTRACT_VERSION}" and ${META_FEATURE_NAMES}=<JSON array of the ${FEATURE_COUNT} feature names> when exporting`,
    );
  }
  if (contract !== FEATURE_CONTRACT_VERSION) {
    throw invalid(
      `model declares feature contract "${contract}" but spotwise computes "${FEATURE_CONTRACT_VERSION}": retrain or re-export against ${FEATURE_CONTRACT_VERSION}`,
    );
  }
  const raw = desc.metadata[META_FEATURE_NAMES];
  let names: unknown;
  try {
    names = raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    names = undefined;
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
    throw invalid(`model metadata ${META_FEATURE_NAMES} is missing or not a JSON array of strings`);
  }
  if (names.length !== FEATURE_COUNT) {
    throw invalid(
      `model declares ${names.length} feature names but contract ${FEATURE_CONTRACT_VERSION} has ${FEATURE_COUNT}`,
    );
  }
  const at = names.findIndex((n, i) => n !== FEATURE_NAMES[i]);
  if (at >= 0) {
    throw invalid(
      `model feature ${at} is "${names[at]}" but contract ${FEATURE_CONTRACT_VERSION} has "${FEATURE_NAMES[at]}" there: features must be in contract order`,
    );
  }
  checkTarget(desc);
  return { contractVersion: contract, featureNames: names as string[] };
}

/** The model predicts what spotwise decides on: P(capacity lost within 1 h), class 1 = lost. */
export function checkTarget(desc: ModelDescription): void {
  const horizon = desc.metadata[META_HORIZON_MS];
  if (horizon === undefined) {
    throw invalid(
      `model declares no label horizon: add metadata_props ${META_HORIZON_MS}="${MODEL_HORIZON_MS}" (it must predict capacity lost within the next hour)`,
    );
  }
  if (Number(horizon) !== MODEL_HORIZON_MS) {
    throw invalid(
      `model declares a label horizon of ${horizon} ms but spotwise decides on the next hour (${MODEL_HORIZON_MS} ms): retrain with a 1-hour label`,
    );
  }
  const positive = desc.metadata[META_POSITIVE_CLASS];
  if (positive !== POSITIVE_CLASS) {
    throw invalid(
      positive === undefined
        ? `model declares no positive class: add metadata_props ${META_POSITIVE_CLASS}="${POSITIVE_CLASS}" (class 1 = capacity lost)`
        : `model declares class 1 = "${positive}" but spotwise reads class 1 as "${POSITIVE_CLASS}": export P(capacity lost) as class 1`,
    );
  }
}

export function checkInput(desc: ModelDescription): { name: string; width: number } {
  if (desc.inputs.length !== 1) {
    throw invalid(
      `model has ${desc.inputs.length} inputs (${desc.inputs.map((i) => i.name).join(", ")}); spotwise feeds exactly one float tensor [N, ${FEATURE_COUNT}]`,
    );
  }
  const input = desc.inputs[0];
  const t = input.type;
  if (t.kind !== "tensor" || t.elemType !== "float") {
    throw invalid(`model input "${input.name}" is ${describeType(t)}, expected tensor(float)[N,${FEATURE_COUNT}]`);
  }
  if (t.shape?.length !== 2) {
    throw invalid(
      `model input "${input.name}" has shape ${describeType(t)}, expected rank 2 [N,${FEATURE_COUNT}] (rows x features)`,
    );
  }
  const width = t.shape[1];
  if (typeof width === "number" && width !== FEATURE_COUNT) {
    throw invalid(
      `model input "${input.name}" has width ${width} but contract ${FEATURE_CONTRACT_VERSION} has ${FEATURE_COUNT} features`,
    );
  }
  return { name: input.name, width: FEATURE_COUNT };
}

function isProbabilityCandidate(o: ValueInfo): ProbabilityOutput | null {
  const t = o.type;
  if (t.kind === "tensor" && t.elemType === "float") {
    const rank = t.shape?.length;
    const last = t.shape?.[t.shape.length - 1];
    if (rank === 2 && (last === 2 || last === null || typeof last === "string"))
      return { name: o.name, kind: "tensor2" };
    if (rank === 2 && last === 1) return { name: o.name, kind: "tensor1" };
    if (rank === 1) return { name: o.name, kind: "tensor1" };
    return null;
  }
  if (
    t.kind === "sequence" &&
    t.elem.kind === "map" &&
    t.elem.value.kind === "tensor" &&
    t.elem.value.elemType === "float"
  ) {
    return { name: o.name, kind: "zipmap" };
  }
  return null;
}

/**
 * The output spotwise reads P(disruption) from: one named probabilities/probability if present, else the only
 * float output. [N,2] → column 1; [N] or [N,1] → the value; seq(map(int64|string, float)) (ZipMap) → class 1.
 */
export function pickProbabilityOutput(desc: ModelDescription): ProbabilityOutput {
  const candidates = desc.outputs.map(isProbabilityCandidate).filter((c): c is ProbabilityOutput => c !== null);
  const named = candidates.find((c) => /^probabilit(y|ies)$/i.test(c.name));
  if (named) return named;
  if (candidates.length === 1) return candidates[0];
  const outs = desc.outputs.map((o) => `${o.name}: ${describeType(o.type)}`).join("; ");
  if (candidates.length === 0) {
    throw invalid(
      `model has no probability output (${outs}): expected a float tensor [N,2] or [N], or a ZipMap seq(map(int64,float))`,
    );
  }
  throw invalid(`model has several float outputs (${outs}): name the probability output "probabilities"`);
}

/**
 * What a model says about itself (ONNX metadata_props) beyond the feature contract: its target (label, horizon,
 * positive class), where it came from (training data sha256, code commit, library versions, parameters, split)
 * and where it is valid (per-feature training ranges, and what to do outside them).
 *
 * Identity: two files are the same model when their graphs are the same and they declare the same semantics.
 * Volatile fields (trained_at, commit, library versions, embedded metrics, producer) do not count, so a
 * bit-identical retrain is recognised as the model already registered.
 */
import { createHash } from "node:crypto";
import { FEATURE_NAMES } from "../features/contract.js";
import type { ModelDescription } from "./description.js";

export const META_LABEL = "spotwise.label";
export const META_HORIZON_MS = "spotwise.horizon_ms";
export const META_POSITIVE_CLASS = "spotwise.positive_class";
export const META_TRAINING_RANGES = "spotwise.training_ranges";
export const META_OUT_OF_RANGE = "spotwise.out_of_range";
export const META_TRAINING_DATA_SHA256 = "spotwise.training_data_sha256";
export const META_CODE_COMMIT = "spotwise.code_commit";
export const META_LIBRARIES = "spotwise.libraries";
export const META_PARAMETERS = "spotwise.parameters";
export const META_SPLIT = "spotwise.split";
export const META_TRAINED_AT = "spotwise.trained_at";

/** The one target spotwise scores: capacity lost within the next hour, class 1 = lost. */
export const POSITIVE_CLASS = "capacity_lost";

/** Metadata that defines what the model computes; everything else is volatile for identity. */
const SEMANTIC_KEYS = [
  "spotwise.feature_contract",
  "spotwise.feature_names",
  META_HORIZON_MS,
  META_POSITIVE_CLASS,
  META_TRAINING_RANGES,
  META_OUT_OF_RANGE,
] as const;

/**
 * sha256 of the graph (the adapter's digest of the graph and opsets) and the semantic metadata. Falls back to
 * the file's sha256 when the reader gave no graph digest.
 */
export function modelIdentity(desc: ModelDescription, fileSha256: string): string {
  if (!desc.graphDigest) return fileSha256;
  const h = createHash("sha256").update("spotwise-model-identity/1\n").update(desc.graphDigest);
  for (const k of SEMANTIC_KEYS) h.update(`\n${k}=${desc.metadata[k] ?? ""}`);
  return h.digest("hex");
}

export interface Lineage {
  trainingDataSha256: string | null;
  codeCommit: string | null;
  libraries: Record<string, string> | null;
  parameters: Record<string, unknown> | null;
  split: Record<string, unknown> | null;
  trainedAt: string | null;
}

function json<T>(raw: string | undefined): T | null {
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}

export function lineageOf(metadata: Record<string, string>): Lineage {
  return {
    trainingDataSha256: metadata[META_TRAINING_DATA_SHA256] ?? null,
    codeCommit: metadata[META_CODE_COMMIT] ?? null,
    libraries: json(metadata[META_LIBRARIES]),
    parameters: json(metadata[META_PARAMETERS]),
    split: json(metadata[META_SPLIT]),
    trainedAt: metadata[META_TRAINED_AT] ?? null,
  };
}

/**
 * The drift guard: per feature (contract index) the [min, max] seen in training; features never observed in
 * training (all missing) have no range and are not checked. Missing values (NaN) are never out of range.
 */
export class TrainingRanges {
  private constructor(
    private readonly lo: Float64Array,
    private readonly hi: Float64Array,
    private readonly checked: number[],
    /** true: rows outside are scored by the fallback (the model card says the model is not valid there). */
    readonly fallbackOutside: boolean,
  ) {}

  /** From the model's metadata; null when it declares no ranges. */
  static fromMetadata(metadata: Record<string, string>): TrainingRanges | null {
    const raw = json<Record<string, [number, number]>>(metadata[META_TRAINING_RANGES]);
    if (!raw || typeof raw !== "object") return null;
    const lo = new Float64Array(FEATURE_NAMES.length).fill(Number.NEGATIVE_INFINITY);
    const hi = new Float64Array(FEATURE_NAMES.length).fill(Number.POSITIVE_INFINITY);
    const checked: number[] = [];
    FEATURE_NAMES.forEach((name, i) => {
      const r = raw[name];
      if (Array.isArray(r) && r.length === 2 && r.every((v) => typeof v === "number" && Number.isFinite(v))) {
        lo[i] = r[0];
        hi[i] = r[1];
        checked.push(i);
      }
    });
    return new TrainingRanges(lo, hi, checked, metadata[META_OUT_OF_RANGE] === "fallback");
  }

  /** Names of the features of row `row` (row-major [rows, cols]) outside their training range; empty when inside. */
  outOfRange(features: Float32Array, row: number, cols: number): string[] {
    const out: string[] = [];
    for (const i of this.checked) {
      const v = features[row * cols + i];
      // float32 inputs against float64 bounds: allow the float32 rounding of the bound itself
      if (v < Math.fround(this.lo[i]) || v > Math.fround(this.hi[i])) out.push(FEATURE_NAMES[i]);
    }
    return out;
  }

  /** Per row: 1 when any checked feature is outside its range. */
  mask(features: Float32Array, rows: number, cols: number): Uint8Array {
    const m = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      for (const i of this.checked) {
        const v = features[r * cols + i];
        if (v < Math.fround(this.lo[i]) || v > Math.fround(this.hi[i])) {
          m[r] = 1;
          break;
        }
      }
    }
    return m;
  }
}

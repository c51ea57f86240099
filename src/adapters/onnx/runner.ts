/**
 * onnxruntime-node implementation of the ModelLoader/ModelRunner ports: one InferenceSession per model,
 * created once at load, batch inference over a float32 [N, F] tensor. Reads P(disruption) from a [N,2]
 * probability tensor (column 1), a [N] / [N,1] tensor, or a ZipMap seq(map) output (class 1) — for the
 * latter, onnxruntime-node cannot return maps, so the float tensor feeding the ZipMap is added as a graph
 * output and read instead.
 */
import * as ort from "onnxruntime-node";
import { CodedError, errorMessage } from "../../core/errors.js";
import { checkContract, checkInput, pickProbabilityOutput } from "../../core/models/contract-check.js";
import type { ModelDescription } from "../../core/models/description.js";
import type { ModelLoader, ModelRunner } from "../../core/ports/model-runner.js";
import { type OnnxModel, readOnnxModel, withExtraFloatOutput } from "./onnx-model.js";

export interface OnnxLoaderOptions {
  /** Threads per session for one inference (default: onnxruntime's choice). */
  intraOpNumThreads?: number;
}

interface ReadPlan {
  fetch: string;
  /** Column to read per row (stride = columns of the fetched tensor), or -1 for a [N] tensor. */
  classColumn: number;
}

function planRead(model: OnnxModel, bytes: Uint8Array): { bytes: Uint8Array; plan: ReadPlan } {
  const out = pickProbabilityOutput(model);
  if (out.kind === "tensor2") return { bytes, plan: { fetch: out.name, classColumn: 1 } };
  if (out.kind === "tensor1") return { bytes, plan: { fetch: out.name, classColumn: 0 } };
  const zip = model.nodes.find((n) => n.opType === "ZipMap" && n.outputs.includes(out.name));
  if (zip?.inputs.length !== 1) {
    throw new CodedError("model_invalid", `model output "${out.name}" is a map sequence not produced by a ZipMap node`);
  }
  const labels = zip.ints.classlabels_int64s ?? zip.strings.classlabels_strings?.map((s) => Number(s)) ?? [];
  const classColumn = labels.indexOf(1);
  if (classColumn < 0) {
    throw new CodedError(
      "model_invalid",
      `ZipMap of output "${out.name}" has class labels [${labels.join(", ")}]: spotwise needs class 1 (disruption)`,
    );
  }
  return { bytes: withExtraFloatOutput(bytes, model, zip.inputs[0]), plan: { fetch: zip.inputs[0], classColumn } };
}

export class OnnxModelRunner implements ModelRunner {
  constructor(
    readonly modelId: string,
    readonly name: string,
    readonly contractVersion: string,
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly plan: ReadPlan,
    readonly inputWidth: number,
    readonly metadata: Readonly<Record<string, string>> = {},
  ) {}

  async predict(features: Float32Array, rows: number, cols: number): Promise<Float32Array> {
    if (cols !== this.inputWidth) {
      throw new CodedError(
        "invalid_input",
        `model ${this.name} takes ${this.inputWidth} features per row, got ${cols}`,
      );
    }
    if (features.length !== rows * cols) {
      throw new CodedError("invalid_input", `feature matrix has ${features.length} values, expected ${rows}x${cols}`);
    }
    if (rows === 0) return new Float32Array(0);
    const feeds = { [this.inputName]: new ort.Tensor("float32", features, [rows, cols]) };
    const result = await this.session.run(feeds, [this.plan.fetch]);
    const t = result[this.plan.fetch];
    if (t?.type !== "float32") {
      throw new CodedError("model_invalid", `model ${this.name} output "${this.plan.fetch}" is not a float32 tensor`);
    }
    const data = t.data as Float32Array;
    const stride = data.length / rows;
    if (!Number.isInteger(stride) || stride < 1 || this.plan.classColumn >= stride) {
      throw new CodedError(
        "model_invalid",
        `model ${this.name} output "${this.plan.fetch}" has ${data.length} values for ${rows} rows (dims ${t.dims.join("x")})`,
      );
    }
    if (stride === 1) return Float32Array.from(data);
    const out = new Float32Array(rows);
    for (let i = 0; i < rows; i++) out[i] = data[i * stride + this.plan.classColumn];
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

export class OnnxModelLoader implements ModelLoader {
  constructor(private readonly options: OnnxLoaderOptions = {}) {}

  /** The header of an ONNX file (metadata, inputs, outputs); throws model_invalid for non-ONNX bytes. */
  describe(bytes: Uint8Array): ModelDescription {
    return readOnnxModel(bytes);
  }

  /**
   * Every load re-checks the file against the contract spotwise computes now (contract version, feature names
   * and order, label horizon, positive class): a model registered under an older contract is refused here.
   */
  async load(input: { modelId: string; name: string; bytes: Uint8Array }): Promise<ModelRunner> {
    const model = readOnnxModel(input.bytes);
    checkContract(model);
    const { name: inputName, width } = checkInput(model);
    const { bytes, plan } = planRead(model, input.bytes);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: "all",
        ...(this.options.intraOpNumThreads ? { intraOpNumThreads: this.options.intraOpNumThreads } : {}),
      });
    } catch (e) {
      throw new CodedError("model_invalid", `onnxruntime cannot load model ${input.name}: ${errorMessage(e)}`);
    }
    const contract = model.metadata["spotwise.feature_contract"] ?? "undeclared";
    return new OnnxModelRunner(input.modelId, input.name, contract, session, inputName, plan, width, model.metadata);
  }
}

import { describe, expect, it } from "vitest";
import { type FixtureName, fixtureBytes } from "../../../test/adapters/onnx-fixtures.js";
import { DEFAULT_MAX_MODEL_BYTES, sha256Hex, validateModel } from "../../core/models/validate.js";
import { OnnxModelLoader } from "./runner.js";

const loader = new OnnxModelLoader();
const deps = (maxBytes = DEFAULT_MAX_MODEL_BYTES) => ({
  describe: (b: Uint8Array) => loader.describe(b),
  loader,
  maxBytes,
});

describe("validateModel on real ONNX files", () => {
  it.each<[FixtureName, string]>([
    ["zipmap", "zipmap"],
    ["prob2", "tensor2"],
    ["vector", "tensor1"],
  ])("accepts %s (%s output)", async (name, kind) => {
    const bytes = fixtureBytes(name);
    const s = await validateModel(bytes, deps());
    expect(s.output.kind).toBe(kind);
    expect(s.sha256).toBe(sha256Hex(bytes));
    expect(s.sizeBytes).toBe(bytes.length);
    expect(s.featureNames).toHaveLength(24);
    expect(s.golden).toHaveLength(6);
  });

  it.each<[FixtureName, RegExp]>([
    ["garbage", /^not an ONNX model: the file is not a valid ModelProto/],
    ["wrong_width", /^model input "input" has width 10 but contract spotwise-features\/1 has 24 features$/],
    ["nan_output", /^model output is not finite \(NaN\) on golden vector 0 \(all features missing\)/],
    [
      "out_of_range",
      /^model output 1\.\d+ on golden vector 0 \(all features missing\) is not a probability in \[0,1\]/,
    ],
    ["no_contract", /^model declares no feature contract: add metadata_props spotwise.feature_contract=/],
    [
      "wrong_contract",
      /^model declares feature contract "spotwise-features\/0" but spotwise computes "spotwise-features\/1"/,
    ],
    [
      "wrong_names",
      /^model feature 0 is "price_changes_1h" but contract spotwise-features\/1 has "price_od_ratio" there/,
    ],
  ])("refuses %s", async (name, message) => {
    const err = await validateModel(fixtureBytes(name), deps()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "model_invalid" });
    expect((err as Error).message).toMatch(message);
  });

  it("refuses a model over the configured size cap before parsing it", async () => {
    const bytes = fixtureBytes("prob2");
    const err = await validateModel(bytes, deps(1024)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `model is ${(bytes.length / 1024).toFixed(1)} KB (${bytes.length} bytes), over the 1.0 KB cap: shrink it or raise models.maxBytes in the config`,
    );
  });

  it("refuses an empty file", async () => {
    await expect(validateModel(new Uint8Array(0), deps())).rejects.toThrow("model file is empty");
  });
});

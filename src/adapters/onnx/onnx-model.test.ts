import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL_PATH, fixtureBytes } from "../../../test/adapters/onnx-fixtures.js";
import { FEATURE_NAMES } from "../../core/features/contract.js";
import { describeType } from "../../core/models/description.js";
import { readOnnxModel, withExtraFloatOutput } from "./onnx-model.js";
import { ProtoReader } from "./protobuf.js";

describe("readOnnxModel", () => {
  it("reads metadata_props, inputs, outputs and nodes of the default model", () => {
    const m = readOnnxModel(new Uint8Array(readFileSync(DEFAULT_MODEL_PATH)));
    expect(m.metadata["spotwise.feature_contract"]).toBe("spotwise-features/1");
    expect(JSON.parse(m.metadata["spotwise.feature_names"])).toEqual([...FEATURE_NAMES]);
    expect(m.inputs.map((i) => `${i.name}:${describeType(i.type)}`)).toEqual(["input:tensor(float)[N,24]"]);
    expect(m.outputs.map((o) => `${o.name}:${describeType(o.type)}`)).toEqual([
      "label:tensor(int64)[N]",
      "probabilities:tensor(float)[N,2]",
    ]);
    expect(m.nodes.map((n) => `${n.domain}/${n.opType}`)).toEqual(["ai.onnx.ml/TreeEnsembleClassifier"]);
    expect(m.opsets).toContainEqual({ domain: "ai.onnx.ml", version: 3 });
    expect(m.irVersion).toBe(8);
  });

  it("reads a ZipMap output type and the ZipMap's class labels", () => {
    const m = readOnnxModel(fixtureBytes("zipmap"));
    const probs = m.outputs.find((o) => o.name === "probabilities");
    expect(probs && describeType(probs.type)).toBe("seq(map(int64,tensor(float)))");
    const zip = m.nodes.find((n) => n.opType === "ZipMap");
    expect(zip?.ints.classlabels_int64s).toEqual([0, 1]);
    expect(zip?.inputs).toEqual(["probability_tensor"]);
  });

  it("adds a graph output without disturbing the rest of the model", () => {
    const bytes = fixtureBytes("zipmap");
    const m = readOnnxModel(bytes);
    const again = readOnnxModel(withExtraFloatOutput(bytes, m, "probability_tensor"));
    expect(again.outputs.map((o) => o.name)).toEqual(["label", "probabilities", "probability_tensor"]);
    expect(again.metadata).toEqual(m.metadata);
    expect(again.nodes).toEqual(m.nodes);
  });

  it("refuses truncated, empty and non-ONNX bytes", () => {
    const bytes = fixtureBytes("prob2");
    expect(() => readOnnxModel(bytes.subarray(0, bytes.length - 10))).toThrow(/^not an ONNX model/);
    expect(() => readOnnxModel(new Uint8Array(0))).toThrow(/no graph/);
    expect(() => readOnnxModel(new TextEncoder().encode('{"not": "onnx"}'))).toThrow(/not an ONNX model/);
    expect(() => readOnnxModel(fixtureBytes("garbage"))).toThrow(/not an ONNX model/);
  });

  it("decodes multi-byte varints", () => {
    const r = new ProtoReader(new Uint8Array([0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(r.varint()).toBe(300);
    expect(r.varint()).toBe(2 ** 32 - 1);
    expect(() => r.varint()).toThrow(/truncated varint/);
  });
});

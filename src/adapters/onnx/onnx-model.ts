/**
 * Reads an ONNX ModelProto (onnx.proto3 field numbers) into a ModelDescription plus the graph nodes, and can
 * add a graph output (used to fetch the probability tensor in front of a ZipMap, since onnxruntime-node
 * cannot return seq(map) values).
 */
import { createHash } from "node:crypto";
import { CodedError } from "../../core/errors.js";
import type { ModelDescription, ValueInfo, ValueType } from "../../core/models/description.js";
import { concatBytes, encodeLenField, encodeVarint, ProtoError, ProtoReader, readFields } from "./protobuf.js";

const ELEM_TYPES: Record<number, string> = {
  1: "float",
  2: "uint8",
  3: "int8",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "double",
  12: "uint32",
  13: "uint64",
  16: "bfloat16",
};

export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  ints: Record<string, number[]>;
  strings: Record<string, string[]>;
}

export interface OnnxModel extends ModelDescription {
  nodes: OnnxNode[];
  /** Byte range of the graph field (tag included) and of its payload, for rewriting. */
  graphField: { start: number; payloadStart: number; end: number };
}

function readTensorShape(r: ProtoReader): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  readFields(r, { 1: 2 }, (f) => {
    if (f !== 1) return false;
    const d = r.sub();
    let dim: number | string | null = null;
    readFields(d, { 1: 0, 2: 2 }, (g) => {
      if (g === 1) dim = d.varint();
      else if (g === 2) dim = d.string();
      else return false;
      return true;
    });
    dims.push(dim);
    return true;
  });
  return dims;
}

function readType(r: ProtoReader): ValueType {
  let t: ValueType = { kind: "unknown" };
  readFields(r, { 1: 2, 4: 2, 5: 2 }, (f) => {
    const s = r.sub();
    if (f === 1) {
      let elemType = "undefined";
      let shape: (number | string | null)[] | null = null;
      readFields(s, { 1: 0, 2: 2 }, (g) => {
        if (g === 1) elemType = ELEM_TYPES[s.varint()] ?? "other";
        else if (g === 2) shape = readTensorShape(s.sub());
        else return false;
        return true;
      });
      t = { kind: "tensor", elemType, shape };
    } else if (f === 4) {
      let elem: ValueType = { kind: "unknown" };
      readFields(s, { 1: 2 }, (g) => {
        if (g !== 1) return false;
        elem = readType(s.sub());
        return true;
      });
      t = { kind: "sequence", elem };
    } else if (f === 5) {
      let keyType = "undefined";
      let value: ValueType = { kind: "unknown" };
      readFields(s, { 1: 0, 2: 2 }, (g) => {
        if (g === 1) keyType = ELEM_TYPES[s.varint()] ?? "other";
        else if (g === 2) value = readType(s.sub());
        else return false;
        return true;
      });
      t = { kind: "map", keyType, value };
    }
    return true;
  });
  return t;
}

function readValueInfo(r: ProtoReader): ValueInfo {
  let name = "";
  let type: ValueType = { kind: "unknown" };
  readFields(r, { 1: 2, 2: 2 }, (f) => {
    if (f === 1) name = r.string();
    else if (f === 2) type = readType(r.sub());
    else return false;
    return true;
  });
  return { name, type };
}

function readAttribute(r: ProtoReader, node: OnnxNode): void {
  let name = "";
  const ints: number[] = [];
  const strings: string[] = [];
  readFields(r, { 1: 2, 8: [0, 2], 9: 2 }, (f, wire) => {
    if (f === 1) name = r.string();
    else if (f === 8 && wire === 0) ints.push(r.varint());
    else if (f === 8) {
      const p = r.sub();
      while (!p.eof()) ints.push(p.varint());
    } else if (f === 9) strings.push(r.string());
    else return false;
    return true;
  });
  if (ints.length) node.ints[name] = ints;
  if (strings.length) node.strings[name] = strings;
}

function readNode(r: ProtoReader): OnnxNode {
  const node: OnnxNode = { opType: "", domain: "", inputs: [], outputs: [], ints: {}, strings: {} };
  readFields(r, { 1: 2, 2: 2, 4: 2, 5: 2, 7: 2 }, (f) => {
    if (f === 1) node.inputs.push(r.string());
    else if (f === 2) node.outputs.push(r.string());
    else if (f === 4) node.opType = r.string();
    else if (f === 7) node.domain = r.string();
    else if (f === 5) readAttribute(r.sub(), node);
    else return false;
    return true;
  });
  return node;
}

function readInitializerName(r: ProtoReader): string {
  let name = "";
  readFields(r, { 8: 2 }, (f) => {
    if (f !== 8) return false;
    name = r.string();
    return true;
  });
  return name;
}

/** Parses the model; throws CodedError("model_invalid") when the bytes are not an ONNX model. */
export function readOnnxModel(bytes: Uint8Array): OnnxModel {
  try {
    return parse(bytes);
  } catch (e) {
    if (e instanceof CodedError) throw e;
    const why = e instanceof ProtoError || e instanceof TypeError ? e.message : String(e);
    throw new CodedError("model_invalid", `not an ONNX model: the file is not a valid ModelProto (${why})`);
  }
}

function parse(bytes: Uint8Array): OnnxModel {
  const r = new ProtoReader(bytes);
  const model: OnnxModel = {
    irVersion: 0,
    producer: "",
    opsets: [],
    metadata: {},
    inputs: [],
    outputs: [],
    nodes: [],
    graphField: { start: -1, payloadStart: -1, end: -1 },
  };
  let sawGraph = false;
  const initializers = new Set<string>();
  const inputs: ValueInfo[] = [];
  readFields(r, { 1: 0, 2: 2, 7: 2, 8: 2, 14: 2 }, (f) => {
    if (f === 1) model.irVersion = r.varint();
    else if (f === 2) model.producer = r.string();
    else if (f === 8) {
      const o = r.sub();
      const opset = { domain: "", version: 0 };
      readFields(o, { 1: 2, 2: 0 }, (g) => {
        if (g === 1) opset.domain = o.string();
        else if (g === 2) opset.version = o.varint();
        else return false;
        return true;
      });
      model.opsets.push(opset);
    } else if (f === 14) {
      const m = r.sub();
      let key = "";
      let value = "";
      readFields(m, { 1: 2, 2: 2 }, (g) => {
        if (g === 1) key = m.string();
        else if (g === 2) value = m.string();
        else return false;
        return true;
      });
      model.metadata[key] = value;
    } else if (f === 7) {
      if (sawGraph) throw new ProtoError("more than one graph");
      sawGraph = true;
      const g = r.sub();
      model.graphField = { start: -1, payloadStart: g.pos, end: r.pos };
      readFields(g, { 1: 2, 5: 2, 11: 2, 12: 2 }, (h) => {
        if (h === 1) model.nodes.push(readNode(g.sub()));
        else if (h === 5) initializers.add(readInitializerName(g.sub()));
        else if (h === 11) inputs.push(readValueInfo(g.sub()));
        else if (h === 12) model.outputs.push(readValueInfo(g.sub()));
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  if (!sawGraph) throw new ProtoError("no graph");
  if (model.irVersion < 3) throw new ProtoError(`ir_version ${model.irVersion} is missing or too old`);
  model.graphField.start = findFieldStart(bytes, model.graphField.payloadStart);
  const digest = createHash("sha256").update(bytes.subarray(model.graphField.payloadStart, model.graphField.end));
  for (const o of [...model.opsets].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0))) {
    digest.update(`\nopset ${o.domain}=${o.version}`);
  }
  model.graphDigest = digest.digest("hex");
  // IR < 4 lists initializers among the inputs: they are not model inputs
  model.inputs = inputs.filter((i) => !initializers.has(i.name));
  if (model.inputs.length === 0) throw new ProtoError("the graph has no inputs");
  if (model.outputs.length === 0) throw new ProtoError("the graph has no outputs");
  return model;
}

/** The start of the top-level field whose payload starts at payloadStart (tag + length precede it). */
function findFieldStart(bytes: Uint8Array, payloadStart: number): number {
  const r = new ProtoReader(bytes);
  while (!r.eof()) {
    const start = r.pos;
    const { wire } = r.tag();
    if (wire === 2) {
      const lenPos = r.pos;
      r.varint();
      if (r.pos === payloadStart) return start;
      r.pos = lenPos;
    }
    r.skip(wire);
  }
  throw new ProtoError("graph field not found");
}

/** Returns a copy of the model with an extra graph output `name` of type tensor(float). */
export function withExtraFloatOutput(bytes: Uint8Array, model: OnnxModel, name: string): Uint8Array {
  const nameField = encodeLenField(1, new TextEncoder().encode(name));
  const tensorType = encodeLenField(1, new Uint8Array([...encodeVarint(1 * 8 + 0), 1]));
  const valueInfo = concatBytes([nameField, encodeLenField(2, tensorType)]);
  const { start, payloadStart, end } = model.graphField;
  const graph = concatBytes([bytes.subarray(payloadStart, end), encodeLenField(12, valueInfo)]);
  return concatBytes([bytes.subarray(0, start), encodeLenField(7, graph), bytes.subarray(end)]);
}

/**
 * What spotwise needs to know about a model file before running it: its declared metadata and the types of
 * its graph inputs and outputs. Filled by the ONNX adapter's protobuf reader (src/adapters/onnx/protobuf.ts).
 */
export type ValueType =
  | { kind: "tensor"; elemType: string; shape: (number | string | null)[] | null }
  | { kind: "sequence"; elem: ValueType }
  | { kind: "map"; keyType: string; value: ValueType }
  | { kind: "unknown" };

export interface ValueInfo {
  name: string;
  type: ValueType;
}

export interface ModelDescription {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  metadata: Record<string, string>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** sha256 of the graph and opset imports, without metadata (identity; set by the ONNX reader). */
  graphDigest?: string;
}

/** How the probability of disruption is read from a model's outputs. */
export type ProbabilityOutputKind = "tensor2" | "tensor1" | "zipmap";
export interface ProbabilityOutput {
  name: string;
  kind: ProbabilityOutputKind;
}

export function describeType(t: ValueType): string {
  switch (t.kind) {
    case "tensor":
      return `tensor(${t.elemType})${t.shape ? `[${t.shape.map((d) => d ?? "?").join(",")}]` : ""}`;
    case "sequence":
      return `seq(${describeType(t.elem)})`;
    case "map":
      return `map(${t.keyType},${describeType(t.value)})`;
    default:
      return "unknown";
  }
}

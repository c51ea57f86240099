/**
 * Batch inference over the feature matrix of a tick: `features` is row-major float32 [rows, cols]
 * in feature-contract order; returns P(disruption) per row, in [0,1].
 */
export interface ModelRunner {
  readonly modelId: string;
  readonly name: string;
  readonly contractVersion: string;
  /** The model file's declared metadata (training ranges, lineage), when the runner has one. */
  readonly metadata?: Readonly<Record<string, string>>;
  predict(features: Float32Array, rows: number, cols: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface ModelLoader {
  load(input: { modelId: string; name: string; bytes: Uint8Array }): Promise<ModelRunner>;
}

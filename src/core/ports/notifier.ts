import type { Decision } from "../types.js";

/** Where recommendations, saga progress and digests go: Slack, or the console on the embedded default. */
export interface Notifier {
  recommend(rec: RecommendationMessage): Promise<MessageRef>;
  /** Progress of an approved switch, posted in the recommendation's thread. */
  progress(ref: MessageRef, text: string): Promise<void>;
  /** Replace the recommendation with its final state (approved / rejected / expired / done / rolled back). */
  resolve(ref: MessageRef, rec: RecommendationMessage, status: string): Promise<void>;
  digest(digest: DigestReport): Promise<void>;
  alert(text: string): Promise<void>;
}

export interface MessageRef {
  channel: string;
  ts: string;
}

export interface RecommendationMessage {
  recommendationId: string;
  decision: Decision;
  region: string;
  accountName: string;
  expiresAt: number;
  mode: "shadow" | "approve";
}

export interface DigestReport {
  day: string;
  realizedSavingsUsd: number;
  counterfactualSavingsUsd: number;
  decisions: Record<string, number>;
  switches: { ok: number; rolledBack: number; failed: number };
  breakers: Array<{ accountId: string; state: string }>;
  experiments: Array<{ model: string; auc: number | null; brier: number | null; n: number }>;
  /** Savings per day over the last 30 days, oldest first. */
  series: Array<{ day: string; realized: number; counterfactual: number }>;
  /** PNG of the series, when rendered. */
  chartPng?: Uint8Array;
}

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

/** The daily digest; money computed once per instance and recommendation (src/core/digest/savings.ts). */
export interface DigestReport {
  day: string;
  /** Price saved in the day by completed switches, USD. */
  realizedSavingsUsd: number;
  /** Price advice nobody approved would have saved in the day, over the hours it stood, USD. */
  counterfactualSavingsUsd: number;
  /** Instance-hours behind each figure in the day. */
  hours?: { realized: number; missed: number };
  /** Instances by their last advice of the day. */
  decisions: Record<string, number>;
  /** Instances decided and decide ticks run in the day. */
  instances?: number;
  ticks?: number;
  switches: { ok: number; rolledBack: number; failed: number };
  breakers: Array<{ accountId: string; state: string }>;
  experiments: Array<{ model: string; auc: number | null; brier: number | null; n: number }>;
  /** Realized and missed (counterfactual) savings per day over the last 30 days, oldest first. */
  series: Array<{ day: string; realized: number; counterfactual: number }>;
  /** PNG of the series, when rendered. */
  chartPng?: Uint8Array;
}

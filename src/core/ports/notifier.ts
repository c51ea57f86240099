import type { Decision } from "../types.js";

/** Where recommendations, saga progress and digests go: Slack, or the console on the embedded default. */
export interface Notifier {
  /** Posts a new recommendation message (a new post: only for new or materially changed advice). */
  recommend(rec: RecommendationMessage, view?: RecommendationView): Promise<MessageRef>;
  /** Re-renders an open recommendation in place: refreshed figures, switching on/off, a status line. */
  update(ref: MessageRef, rec: RecommendationMessage, state?: RecommendationView): Promise<void>;
  /** Progress of an approved switch, posted in the recommendation's thread. */
  progress(ref: MessageRef, text: string): Promise<void>;
  /** Replace the recommendation with its final state (approved / rejected / expired / done / rolled back). */
  resolve(ref: MessageRef, rec: RecommendationMessage, status: string): Promise<void>;
  /** A global change (pause, resume, mode, promote, rollback, breaker opening) with who did it, in the channel. */
  announce(text: string): Promise<void>;
  digest(digest: DigestReport): Promise<void>;
  alert(text: string): Promise<void>;
}

/** How an open recommendation is shown besides its figures. */
export interface RecommendationView {
  /** Short mrkdwn line. Absent: the recommendation is open and shows its buttons. */
  status?: string;
  /** Keep the buttons even though a status is shown (two-person rule, switching paused). */
  keepButtons?: boolean;
  /** Switching is off (paused, shadow mode): no Approve button, this line says why and how to turn it on. */
  approveOff?: string;
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

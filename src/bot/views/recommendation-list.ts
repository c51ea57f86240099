/** `/spot recommendations`: the open ones, one line each. */
import type { RecommendationRecord } from "../../core/recommendations/types.js";
import { clip, esc, isoMinute, moveName, usdPerMonth } from "./format.js";
import { LIMITS } from "./limits.js";
import { accountLabel, priceSaving, type RenderedMessage } from "./recommendation.js";

export function recommendationListMessage(recs: RecommendationRecord[]): RenderedMessage {
  if (recs.length === 0) {
    const text = "No open recommendations: every managed instance is where it should be.";
    return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
  }
  const lines = recs.map((r) => {
    const d = r.decision;
    const approvals = r.approvals.filter((a) => a.verdict === "approve").length;
    return `• \`${d.instanceId}\` ${esc(accountLabel(r.accountName, r.accountId))} ${r.region}: ${moveName(d.from, d.to)}, ${usdPerMonth(priceSaving(d).perMonth)} · ${r.status}${approvals ? ` (${approvals} approval)` : ""} · expires ${isoMinute(r.expiresAt)}`;
  });
  const text = `*Open recommendations* (${recs.length})\n${lines.join("\n")}`;
  return {
    text: `${recs.length} open recommendations`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(text, LIMITS.sectionText) } }],
  };
}

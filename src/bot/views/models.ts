/** Model registry views: the list and one model. */
import type { KnownBlock } from "@slack/types";
import type { ExperimentReport, ModelSummary } from "../services.js";
import { clip, esc, isoMinute, num } from "./format.js";
import { LIMITS } from "./limits.js";
import type { RenderedMessage } from "./recommendation.js";

function metrics(m: ModelSummary): string {
  return `AUC ${num(m.metrics.auc)} · Brier ${num(m.metrics.brier)} · n ${m.metrics.n ?? "n/a"}`;
}

export function modelListMessage(models: ModelSummary[]): RenderedMessage {
  if (models.length === 0) {
    const text =
      "No models registered: spotwise decides with the advisor heuristic. Upload one with `/spot models upload URL`.";
    return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
  }
  const lines = models.map(
    (m) =>
      `*${esc(m.name)}* v${m.version} · ${m.status} · ${metrics(m)} · added ${isoMinute(m.createdAt)} by ${esc(m.addedBy)}`,
  );
  const blocks: KnownBlock[] = [{ type: "section", text: { type: "mrkdwn", text: `*Models* (${models.length})` } }];
  let i = 0;
  for (; i < lines.length && blocks.length < LIMITS.blocksPerMessage - 1; i += 15) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: clip(lines.slice(i, i + 15).join("\n"), LIMITS.sectionText) },
    });
  }
  if (i < lines.length) {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `… and ${lines.length - i} more models` }] });
  }
  return { text: `${models.length} models`, blocks };
}

export function modelMessage(m: ModelSummary, headline?: string): RenderedMessage {
  const text = [
    headline ? `${headline}\n` : "",
    `*${esc(m.name)}* v${m.version} · *${m.status}*`,
    `id \`${m.id}\` · sha256 \`${m.sha256.slice(0, 12)}\` · ${(m.sizeBytes / 1024).toFixed(1)} KiB`,
    `feature contract ${esc(m.contractVersion)} · ${metrics(m)}`,
    `added ${isoMinute(m.createdAt)} by ${esc(m.addedBy)}`,
  ].join("\n");
  return {
    text: `${m.name} v${m.version}: ${m.status}`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(text, LIMITS.sectionText) } }],
  };
}

export function experimentsMessage(r: ExperimentReport): RenderedMessage {
  const rows = r.rows.map(
    (x) => `*${esc(x.model)}* (${x.status}) · AUC ${num(x.auc)} · Brier ${num(x.brier)} · n ${x.n}`,
  );
  const text = `*Model experiments* (${isoMinute(r.generatedAt)})\n${esc(r.summary)}\n${rows.join("\n") || "no labelled predictions yet"}`;
  return {
    text: `Model experiments: ${r.summary}`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(text, LIMITS.sectionText) } }],
  };
}

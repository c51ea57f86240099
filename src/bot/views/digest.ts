/** The daily digest: savings, decisions, switches, breakers, experiments. */
import type { KnownBlock } from "@slack/types";
import type { DigestReport } from "../../core/ports/notifier.js";
import { clip, esc, num, usd } from "./format.js";
import { LIMITS } from "./limits.js";
import type { RenderedMessage } from "./recommendation.js";

export function digestMessage(d: DigestReport): RenderedMessage {
  const decisions = Object.entries(d.decisions)
    .map(([k, v]) => `${k} ${v}`)
    .join(" · ");
  const open = d.breakers.filter((b) => b.state !== "closed");
  const breakers =
    d.breakers.length === 0
      ? "no accounts"
      : open.length === 0
        ? `all ${d.breakers.length} closed`
        : open.map((b) => `${b.accountId} *${b.state}*`).join(", ");
  const experiments =
    d.experiments.length === 0
      ? "no experiments"
      : d.experiments.map((e) => `${esc(e.model)}: AUC ${num(e.auc)}, Brier ${num(e.brier)}, n ${e.n}`).join("\n");
  const total30 = d.series.reduce((s, p) => s + p.realized, 0);
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: `spotwise daily digest ${d.day}` } },
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Realized savings*\n${usd(d.realizedSavingsUsd)} (30 days: ${usd(total30)})` },
        { type: "mrkdwn", text: `*Shadow (counterfactual)*\n${usd(d.counterfactualSavingsUsd)}` },
        { type: "mrkdwn", text: `*Decisions*\n${decisions || "none"}` },
        {
          type: "mrkdwn",
          text: `*Switches*\n${d.switches.ok} ok · ${d.switches.rolledBack} rolled back · ${d.switches.failed} failed`,
        },
        { type: "mrkdwn", text: clip(`*Circuit breakers*\n${breakers}`, LIMITS.sectionField) },
      ],
    },
    {
      type: "section",
      text: { type: "mrkdwn", text: clip(`*Model experiments*\n${experiments}`, LIMITS.sectionText) },
    },
  ];
  return {
    text: `spotwise ${d.day}: saved ${usd(d.realizedSavingsUsd)}, shadow ${usd(d.counterfactualSavingsUsd)}, ${d.switches.ok} switches ok, ${d.switches.rolledBack} rolled back`,
    blocks,
  };
}

/**
 * The daily digest: realized savings (completed switches) and missed savings (advice nobody approved), each
 * instance and recommendation counted once; the advice per instance; switches, breakers, experiments.
 */
import type { KnownBlock } from "@slack/types";
import type { DigestReport } from "../../core/ports/notifier.js";
import { clip, esc, num, usd } from "./format.js";
import { LIMITS } from "./limits.js";
import type { RenderedMessage } from "./recommendation.js";

export function digestMessage(d: DigestReport): RenderedMessage {
  const decisions = adviceLine(d);
  const open = d.breakers.filter((b) => b.state !== "closed");
  const breakers =
    d.breakers.length === 0
      ? // a breaker is recorded at an account's first failed switch: none recorded means none ever opened
        "all closed (no failed switch on record)"
      : open.length === 0
        ? `all ${d.breakers.length} closed`
        : open.map((b) => `${b.accountId} *${b.state}*`).join(", ");
  const experiments =
    d.experiments.length === 0
      ? "no experiments"
      : d.experiments.map((e) => `${esc(e.model)}: AUC ${num(e.auc)}, Brier ${num(e.brier)}, n ${e.n}`).join("\n");
  const total30 = d.series.reduce((s, p) => s + p.realized, 0);
  const missed30 = d.series.reduce((s, p) => s + p.counterfactual, 0);
  const hours = (h: number | undefined) => (h === undefined ? "" : `, ${fmtHours(h)} instance-hours`);
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: `spotwise daily digest ${d.day}` } },
    {
      type: "section",
      fields: [
        {
          type: "mrkdwn",
          text: `*Realized savings*\n${usd(d.realizedSavingsUsd)} (completed switches${hours(d.hours?.realized)}) · 30 days ${usd(total30)}`,
        },
        {
          type: "mrkdwn",
          text: `*Missed savings*\n${usd(d.counterfactualSavingsUsd)} (advice not approved${hours(d.hours?.missed)}) · 30 days ${usd(missed30)}`,
        },
        { type: "mrkdwn", text: clip(`*Advice per instance*\n${decisions}`, LIMITS.sectionField) },
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
    text: `spotwise ${d.day}: saved ${usd(d.realizedSavingsUsd)}, missed ${usd(d.counterfactualSavingsUsd)}, ${d.switches.ok} switches ok, ${d.switches.rolledBack} rolled back`,
    blocks,
  };
}

const ACTION_WORDS: Record<string, string> = { SWITCH: "to switch", STAY: "to stay", ONDEMAND: "to go on-demand" };

/** "3 instances advised to switch · 12 to stay (15 instances, 96 decide ticks)": the last advice of the day per instance. */
function adviceLine(d: DigestReport): string {
  const parts = Object.entries(d.decisions)
    .sort(([a], [b]) => (a === "SWITCH" ? -1 : b === "SWITCH" ? 1 : a.localeCompare(b)))
    .map(([k, v], i) => `${i === 0 ? `${v} instance${v === 1 ? "" : "s"} advised ` : `${v} `}${ACTION_WORDS[k] ?? k}`);
  if (parts.length === 0) return "no decisions";
  const total = d.instances ?? Object.values(d.decisions).reduce((a, b) => a + b, 0);
  return `${parts.join(" · ")} (last advice of the day; ${total} instances${d.ticks === undefined ? "" : `, ${d.ticks} decide ticks`})`;
}

function fmtHours(h: number): string {
  return h >= 100 ? Math.round(h).toLocaleString("en-US") : String(Number(h.toFixed(1)));
}

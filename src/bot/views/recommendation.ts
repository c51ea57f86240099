/** The SWITCH recommendation message: what, why, how much, how risky, and the buttons. */
import type { ActionsBlock, Button, KnownBlock } from "@slack/types";
import type { RecommendationMessage, RecommendationView } from "../../core/ports/notifier.js";
import type { Decision } from "../../core/types.js";
import { clip, esc, moveName, pct, pool, readablePools, riskPerHour, usdPerHour, usdPerMonth } from "./format.js";
import { LIMITS } from "./limits.js";

export const ACTION_APPROVE = "spotwise_approve";
export const ACTION_REJECT = "spotwise_reject";
export const ACTION_SNOOZE = "spotwise_snooze";

export interface RenderedMessage {
  /** Notification / fallback text. */
  text: string;
  blocks: KnownBlock[];
}

/** The final or intermediate state shown instead of the buttons ("Approved by <@U1>", "Expired" …). */
export type RecommendationState = RecommendationView;

/**
 * Where the interruption risk came from, in words. The risk is P(interruption within the hour)
 * (src/core/policy/risk.ts): the Spot Advisor bucket, updated with spotwise's own observations of the pool when
 * there are some. A model predicts launch capacity, not interruptions, so it is named with what it predicted.
 */
export function riskSourceLine(d: Decision): string {
  const source = d.to ? d.riskToSource : d.riskFromSource;
  const model = d.modelName && !d.fallback ? `model ${d.modelName}` : null;
  const why = model ? `${model} predicts launch capacity, not interruptions` : noModelReason(d);
  const launch =
    model && d.launchFailureTo !== undefined && d.launchFailureTo !== null
      ? ` (${model}: ${pct(d.launchFailureTo, 1)} chance a launch finds no capacity)`
      : "";
  switch (source) {
    case "on-demand":
      return "on-demand: no interruption risk";
    case "observed":
      return `Spot Advisor bucket updated with spotwise's observations of the pool, model not applicable: ${why}${launch}`;
    case "advisor":
      return `Spot Advisor bucket, model not applicable: ${why}${launch}`;
    default:
      break;
  }
  // decisions recorded before the risk source was: read it from the fields and reasons they have
  if (d.fallback || !d.modelName) return `Spot Advisor bucket, model not applicable: ${noModelReason(d)}`;
  if (d.confidence === null && d.reasons.some((r) => r.includes("Spot Advisor bucket"))) {
    return `Spot Advisor bucket, model not applicable: no capacity observations of the target pool yet (model ${d.modelName} covers observed pools)`;
  }
  return `model ${d.modelName}${d.confidence === null ? "" : ` (confidence ${pct(d.confidence, 0)})`}`;
}

function noModelReason(d: Decision): string {
  const why = d.reasons.find((r) => r.startsWith("no usable model"));
  return (why ? /^no usable model \(([^)]*)\)/.exec(why)?.[1] : undefined) ?? "no usable model";
}

/** The money to show: the price saving from the price series (×730 a month); older decisions only have the expected one. */
export function priceSaving(d: Decision): { perHour: number; perMonth: number } {
  return {
    perHour: d.priceSavingPerHour ?? d.savingPerHour,
    perMonth: d.priceSavingPerMonth ?? d.savingPerMonth,
  };
}

/** Kept for callers that name it: the risk source line. */
export function modelLine(msg: RecommendationMessage): string {
  return riskSourceLine(msg.decision);
}

/** "ops-prod (123456789012)", or the id alone when the account has no configured name. */
export function accountLabel(name: string, id: string): string {
  return name && name !== id ? `${name} (${id})` : id;
}

/** Title of a recommendation: the instance, what moves, and the monthly saving. */
export function recommendationTitle(d: Decision): string {
  return `Switch ${d.instanceId}: ${moveName(d.from, d.to)} · save ${usdPerMonth(priceSaving(d).perMonth)}`;
}

export function recommendationMessage(msg: RecommendationMessage, state: RecommendationState = {}): RenderedMessage {
  const d = msg.decision;
  const to = d.to ?? d.from;
  const title = recommendationTitle(d);
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: clip(title, LIMITS.headerText) } },
    {
      type: "section",
      block_id: clip(`rec:${msg.recommendationId}`, LIMITS.blockId),
      fields: [
        field(`*Instance*\n\`${d.instanceId}\``),
        field(`*Account*\n${esc(accountLabel(msg.accountName, d.accountId))}`),
        field(`*Region*\n${msg.region}`),
        field(`*Move*\n${pool(d.from)} → ${pool(to)}`),
        field(`*Price saving*\n${usdPerHour(priceSaving(d).perHour)} · ${usdPerMonth(priceSaving(d).perMonth)}`),
        field(`*Interruption risk*\n${riskPerHour(d.riskFrom)} → ${riskPerHour(d.riskTo)}`),
        field(`*Risk source*\n${esc(riskSourceLine(d))}`),
        field(`*Strategy*\n${esc(d.strategy)}`),
        ...(d.priceSavingPerMonth === undefined
          ? []
          : [field(`*Expected saving (risk-adjusted)*\n${usdPerMonth(d.savingPerMonth)}`)]),
      ],
    },
  ];
  if (d.reasons.length > 0) {
    const reasons = d.reasons.map((r) => `• ${esc(readablePools(r))}`).join("\n");
    blocks.push({ type: "section", text: { type: "mrkdwn", text: clip(`*Why*\n${reasons}`, LIMITS.sectionText) } });
  }
  // No absolute expiry here: while the advice holds, each decide tick re-arms it and the message stays as is.
  const context =
    msg.mode === "shadow"
      ? "Shadow mode: spotwise only recommends. An admin can enable switching with `/spot mode approve`."
      : "Open while the advice holds: re-checked at every decide tick, closed when it lapses.";
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: clip(`${context} · id ${msg.recommendationId}`, LIMITS.sectionField) }],
  });
  const open = !state.status || state.keepButtons;
  if (open && state.approveOff) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: clip(state.approveOff, LIMITS.sectionText) } });
  }
  if (state.status) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: clip(state.status, LIMITS.sectionText) } });
  }
  if (open) blocks.push(actions(msg, !state.approveOff));
  return { text: clip(state.status ? `${title} (${plain(state.status)})` : title, LIMITS.sectionText), blocks };
}

function actions(msg: RecommendationMessage, approvable: boolean): ActionsBlock {
  const id = msg.recommendationId;
  const buttons: Button[] = [];
  if (msg.mode === "approve" && approvable) {
    buttons.push({
      type: "button",
      action_id: ACTION_APPROVE,
      text: { type: "plain_text", text: "Approve" },
      style: "primary",
      value: id,
      confirm: {
        title: { type: "plain_text", text: "Switch this instance?" },
        text: {
          type: "mrkdwn",
          text: clip(
            `spotwise will image \`${msg.decision.instanceId}\`, launch its replacement in ${msg.decision.to ? pool(msg.decision.to) : "the target pool"}, wait until it is healthy, then terminate the old one (rolled back on failure).`,
            LIMITS.confirmText,
          ),
        },
        confirm: { type: "plain_text", text: "Approve switch" },
        deny: { type: "plain_text", text: "Cancel" },
      },
    });
  }
  buttons.push(
    {
      type: "button",
      action_id: ACTION_REJECT,
      text: { type: "plain_text", text: "Reject" },
      style: "danger",
      value: id,
    },
    { type: "button", action_id: ACTION_SNOOZE, text: { type: "plain_text", text: "Snooze 24 h" }, value: id },
  );
  return { type: "actions", block_id: clip(`rec-actions:${id}`, LIMITS.blockId), elements: buttons };
}

function field(text: string) {
  return { type: "mrkdwn" as const, text: clip(text, LIMITS.sectionField) };
}

/** mrkdwn → plain words for the notification text. */
export function plain(mrkdwn: string): string {
  return mrkdwn
    .replace(/<@([A-Z0-9]+)>/g, "@$1")
    .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, "$1")
    .replace(/<([^|>]+)\|([^>]+)>/g, "$2")
    .replace(/[*`]/g, "")
    .replace(/(^|\s)_([^_\n]+)_(?=\s|$|[.,;:])/g, "$1$2")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

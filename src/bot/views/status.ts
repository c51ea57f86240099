/**
 * `/spot status` (and the status part of App Home): every component with its state and last good time, and
 * the control state. `extra` blocks (the safety checklist) follow the components.
 */
import type { KnownBlock } from "@slack/types";
import type { ComponentStatus, ControlState } from "../services.js";
import { ago, clip, esc } from "./format.js";
import { LIMITS } from "./limits.js";
import type { RenderedMessage } from "./recommendation.js";

const ICON: Record<ComponentStatus["status"], string> = {
  ok: ":large_green_circle:",
  degraded: ":large_yellow_circle:",
  down: ":red_circle:",
  unknown: ":white_circle:",
};

export function statusMessage(
  components: ComponentStatus[],
  control: ControlState,
  now: number,
  extra: KnownBlock[] = [],
): RenderedMessage {
  const worst = components.some((c) => c.status === "down")
    ? "down"
    : components.some((c) => c.status !== "ok")
      ? "degraded"
      : "ok";
  const head =
    `*spotwise status: ${worst}* · mode *${control.mode}*` +
    (control.paused
      ? ` · :double_vertical_bar: *paused*${control.pausedReason ? `: ${esc(control.pausedReason)}` : ""}`
      : "");
  const lines = components.map(
    (c) =>
      `${ICON[c.status]} *${esc(c.label)}* ${c.status} · last ok ${ago(c.lastOkAt, now)}${c.detail ? ` · ${esc(clip(c.detail, 300))}` : ""}`,
  );
  const blocks: KnownBlock[] = [{ type: "section", text: { type: "mrkdwn", text: clip(head, LIMITS.sectionText) } }];
  // Several sections so that many AWS accounts stay within the per-section limit.
  let i = 0;
  const room = LIMITS.blocksPerMessage - 1 - extra.length;
  for (; i < lines.length && blocks.length < room; i += 10) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: clip(lines.slice(i, i + 10).join("\n"), LIMITS.sectionText) },
    });
  }
  if (i < lines.length) {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `… and ${lines.length - i} more components` }] });
  }
  blocks.push(...extra.slice(0, LIMITS.blocksPerMessage - blocks.length));
  return { text: `spotwise status: ${worst}`, blocks };
}

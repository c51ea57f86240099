import type { KnownBlock } from "@slack/types";
import { type ChecklistItem, checklistLines } from "../../core/control/checklist.js";
import type { BotContext } from "../context.js";
import type { ComponentStatus, ControlState } from "../services.js";
import { clip } from "../views/format.js";
import { statusMessage } from "../views/status.js";
import type { SpotHandler } from "./types.js";

export interface StatusParts {
  components: ComponentStatus[];
  control: ControlState;
  /** Blocks shown after the components, in `/spot status` and App Home alike (the safety checklist goes here). */
  extra: KnownBlock[];
}

/** What `/spot status` and App Home show, read once. */
export async function statusParts(ctx: BotContext): Promise<StatusParts> {
  const [components, control, checklist] = await Promise.all([
    ctx.services.health.components(),
    ctx.services.control.state(),
    ctx.services.control.checklist(),
  ]);
  return { components, control, extra: checklistBlocks(checklist) };
}

/** The safety checklist for approve mode (nothing when none is configured). */
export function checklistBlocks(checklist: ChecklistItem[]): KnownBlock[] {
  if (checklist.length === 0) return [];
  const head = checklist.every((c) => c.ok)
    ? "*Safety checklist for approve mode*: all green"
    : "*Safety checklist for approve mode*: `/spot mode approve` needs every item";
  return [
    {
      type: "section",
      text: { type: "mrkdwn", text: clip(`${head}\n${checklistLines(checklist).join("\n")}`, 3000) },
    },
  ];
}

export const status: SpotHandler = async (ctx) => {
  const p = await statusParts(ctx);
  return statusMessage(p.components, p.control, ctx.clock.now(), p.extra);
};

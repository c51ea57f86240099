import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import type { BotContext } from "../../context.js";
import type { ApprovalFlow } from "../../flows/approval.js";
import { ACTION_APPROVE, ACTION_REJECT, ACTION_SNOOZE } from "../../views/recommendation.js";
import { approve } from "./approve.js";
import { reject } from "./reject.js";
import { snooze } from "./snooze.js";
import { unknownAction } from "./unknown.js";

/** Every action_id a listener handles; anything else is acked (and logged) by the catch-all. */
export const KNOWN_ACTIONS = new Set<string>([ACTION_APPROVE, ACTION_REJECT, ACTION_SNOOZE]);

export function register(app: App, ctx: BotContext, flow: ApprovalFlow): void {
  app.action<BlockAction<ButtonAction>>(ACTION_APPROVE, approve(ctx, flow));
  app.action<BlockAction<ButtonAction>>(ACTION_REJECT, reject(ctx, flow));
  app.action<BlockAction<ButtonAction>>(ACTION_SNOOZE, snooze(ctx, flow));
  // Slack shows the user an error on any action not acked within 3 s: old buttons, links, future ids
  app.action(/.*/, unknownAction(ctx, KNOWN_ACTIONS));
}

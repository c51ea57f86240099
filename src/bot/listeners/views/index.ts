import type { App } from "@slack/bolt";
import type { BotContext } from "../../context.js";
import type { ApprovalFlow } from "../../flows/approval.js";
import { REJECT_VIEW } from "../../views/reject-modal.js";
import { rejectReason } from "./reject-reason.js";

export function register(app: App, ctx: BotContext, flow: ApprovalFlow): void {
  app.view(REJECT_VIEW, rejectReason(ctx, flow));
}

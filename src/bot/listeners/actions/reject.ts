import type { BotContext } from "../../context.js";
import type { ApprovalFlow } from "../../flows/approval.js";
import { buttonHandler } from "./click.js";

/** Opens the reason dialog (listeners/views/reject-reason.ts finishes the rejection). */
export const reject = (ctx: BotContext, flow: ApprovalFlow) => buttonHandler(ctx, (c) => flow.askReject(c));

import type { BotContext } from "../../context.js";
import type { ApprovalFlow } from "../../flows/approval.js";
import { buttonHandler } from "./click.js";

export const approve = (ctx: BotContext, flow: ApprovalFlow) => buttonHandler(ctx, (c) => flow.approve(c));

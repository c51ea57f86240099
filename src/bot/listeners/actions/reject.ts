import type { BotContext } from "../../context.js";
import type { ApprovalFlow } from "../../flows/approval.js";
import { buttonHandler } from "./click.js";

export const reject = (ctx: BotContext, flow: ApprovalFlow) => buttonHandler(ctx, (c) => flow.reject(c));

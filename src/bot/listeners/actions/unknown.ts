/** Acks every action no listener handles (old messages, link buttons, ids from a newer version), and logs it. */
import type { AllMiddlewareArgs, SlackAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { BotContext } from "../../context.js";

export const unknownAction =
  (ctx: BotContext, known: ReadonlySet<string>) =>
  async ({ ack, action, body }: SlackActionMiddlewareArgs<SlackAction> & AllMiddlewareArgs): Promise<void> => {
    const id = "action_id" in action ? String(action.action_id) : undefined;
    if (id !== undefined && known.has(id)) return;
    await ack();
    ctx.logger.info({ actionId: id, user: body.user?.id }, "unknown action acked");
  };

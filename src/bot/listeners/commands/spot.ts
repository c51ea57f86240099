/** `/spot`: ack at once (Slack's 3 s), then answer ephemerally through response_url. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from "@slack/bolt";
import { errorMessage } from "../../../core/errors.js";
import type { BotContext } from "../../context.js";
import { runSpot } from "../../spot/index.js";

export const spot =
  (ctx: BotContext) =>
  async ({ ack, command, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const answer = await runSpot(ctx, command.user_id, command.text ?? "");
    try {
      await respond({ response_type: "ephemeral", text: answer.text, blocks: answer.blocks });
    } catch (e) {
      ctx.logger.error({ err: e, text: errorMessage(e) }, "could not answer /spot");
    }
  };

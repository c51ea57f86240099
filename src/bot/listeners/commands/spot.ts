/** `/spot`: ack at once (Slack's 3 s), then answer ephemerally through response_url. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from "@slack/bolt";
import { errorMessage } from "../../../core/errors.js";
import type { BotContext } from "../../context.js";
import { runSpot } from "../../spot/index.js";

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** Tracked so shutdown (and tests) can wait for the answer. */
export const spot = (ctx: BotContext) => (args: Args) => ctx.tasks.track("/spot", handle(ctx, args));

async function handle(ctx: BotContext, { ack, command, respond }: Args): Promise<void> {
  await ack();
  const answer = await ctx.tasks.limited(
    () => runSpot(ctx, command.user_id, command.text ?? ""),
    `user:${command.user_id}`,
  );
  try {
    await respond({ response_type: "ephemeral", text: answer.text, blocks: answer.blocks });
  } catch (e) {
    ctx.logger.error({ err: e, text: errorMessage(e) }, "could not answer /spot");
  }
}

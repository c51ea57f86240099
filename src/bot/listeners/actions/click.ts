/** Shared by the three button handlers: ack first, drop Slack retries, turn the payload into a Click. */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import { errorMessage } from "../../../core/errors.js";
import { type BotContext, firstDelivery } from "../../context.js";
import type { Click } from "../../flows/approval.js";

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function buttonHandler(ctx: BotContext, run: (click: Click) => Promise<void>) {
  return ({ ack, body, action, client }: ButtonArgs): Promise<void> =>
    // Tracked from the start, so shutdown (and tests) can wait for the whole click to be handled.
    ctx.tasks.track(`click ${action.action_id}`, handle(ctx, run, { ack, body, action, client }));
}

async function handle(
  ctx: BotContext,
  run: (click: Click) => Promise<void>,
  { ack, body, action, client }: Pick<ButtonArgs, "ack" | "body" | "action" | "client">,
): Promise<void> {
  await ack();
  const channel = body.channel?.id ?? body.container?.channel_id;
  const ts = body.message?.ts ?? body.container?.message_ts;
  if (!channel || !ts || !action.value) {
    ctx.logger.warn({ actionId: action.action_id }, "button click without channel, message or value");
    return;
  }
  // The same click delivered again (X-Slack-Retry-Num, or to another replica) carries the same action_ts.
  const key = `slack:action:${channel}:${ts}:${action.action_id}:${body.user.id}:${action.action_ts}`;
  if (!(await firstDelivery(ctx, key))) {
    ctx.logger.info({ key }, "duplicate delivery of a click ignored");
    return;
  }
  const click: Click = {
    userId: body.user.id,
    recommendationId: action.value,
    ref: { channel, ts },
    client,
    triggerId: body.trigger_id,
  };
  try {
    await ctx.tasks.limited(() => run(click), `user:${body.user.id}`);
  } catch (e) {
    ctx.logger.error({ err: e, recommendationId: action.value }, "click failed");
    await ctx.ephemeral(
      channel,
      body.user.id,
      `:warning: spotwise could not finish handling your click: ${errorMessage(e)}. Check \`/spot recommendations\` and \`/spot status\` before trying again.`,
    );
  }
}

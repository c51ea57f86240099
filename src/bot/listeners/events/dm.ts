/**
 * A plain DM to the bot: `help` (or anything it does not know) answers with the command list; a `/spot`
 * subcommand typed in the DM (`status`, `recommendations`, …, with or without `/spot`) answers like the command.
 * File shares (model uploads), edits and the bot's own messages are not for this handler.
 */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from "@slack/bolt";
import { z } from "zod";
import { type BotContext, firstDelivery } from "../../context.js";
import { runSpot } from "../../spot/index.js";

const DirectMessage = z.object({
  type: z.literal("message"),
  channel: z.string(),
  channel_type: z.literal("im"),
  user: z.string(),
  text: z.string().default(""),
  ts: z.string(),
});

type Args = SlackEventMiddlewareArgs<"message"> & AllMiddlewareArgs;

export const directMessage = (ctx: BotContext) => (args: Args) => ctx.tasks.track("dm", handle(ctx, args));

async function handle(ctx: BotContext, { event, body, client }: Args): Promise<void> {
  const raw = event as unknown as Record<string, unknown>;
  if (raw.subtype !== undefined || raw.bot_id !== undefined) return;
  const parsed = DirectMessage.safeParse(event);
  if (!parsed.success) return;
  const msg = parsed.data;
  const eventId = (body as { event_id?: string }).event_id ?? `${msg.channel}:${msg.ts}`;
  if (!(await firstDelivery(ctx, `slack:event:${eventId}`))) return;
  const text = msg.text.trim().replace(/^\/spot\b\s*/i, "");
  const answer = await runSpot(ctx, msg.user, text);
  try {
    await ctx.writes.run("chat.postMessage", msg.channel, () =>
      client.chat.postMessage({ channel: msg.channel, text: answer.text, blocks: answer.blocks }),
    );
  } catch (e) {
    ctx.logger.warn({ err: e, user: msg.user }, "DM answer not posted");
  }
}

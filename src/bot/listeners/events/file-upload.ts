/**
 * A model upload: an .onnx file shared with the bot in a DM, with the comment `upload NAME`.
 * Fetched from url_private with the bot token, validated by the registry, added as a candidate.
 */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from "@slack/bolt";
import type { KnownBlock } from "@slack/types";
import { z } from "zod";
import { asCodedError } from "../../../core/errors.js";
import { type BotContext, firstDelivery } from "../../context.js";
import { uploadModel } from "../../spot/models.js";

const FileShare = z.object({
  subtype: z.literal("file_share"),
  channel: z.string(),
  channel_type: z.literal("im"),
  user: z.string(),
  text: z.string().default(""),
  ts: z.string(),
  files: z
    .array(z.object({ id: z.string(), name: z.string().default("model.onnx"), url_private: z.string().url() }))
    .min(1),
});

type Args = SlackEventMiddlewareArgs<"message"> & AllMiddlewareArgs;

/** Tracked so shutdown (and tests) can wait for a running upload. */
export const fileUpload = (ctx: BotContext) => (args: Args) => ctx.tasks.track("model upload", handle(ctx, args));

async function handle(ctx: BotContext, { event, body, client }: Args): Promise<void> {
  const parsed = FileShare.safeParse(event);
  if (!parsed.success) return;
  const msg = parsed.data;
  const eventId = (body as { event_id?: string }).event_id ?? `${msg.channel}:${msg.ts}`;
  if (!(await firstDelivery(ctx, `slack:event:${eventId}`))) return;
  const reply = (text: string, blocks?: KnownBlock[]) =>
    ctx.writes.run("chat.postMessage", msg.channel, () =>
      client.chat.postMessage({ channel: msg.channel, thread_ts: msg.ts, text, blocks }),
    );
  const say = (text: string) => reply(text);
  const m = /^\s*upload\s+(\S+)\s*$/i.exec(msg.text);
  if (!m) {
    await say(
      "To add this file as a model, share it again with the comment `upload NAME` (for example `upload gbt-v4`).",
    );
    return;
  }
  try {
    const file = msg.files[0];
    const answer = await uploadModel(ctx, {
      userId: msg.user,
      url: file.url_private,
      name: m[1],
      source: `slack file ${file.id} (${file.name})`,
    });
    await reply(answer.text, answer.blocks);
  } catch (e) {
    const err = asCodedError(e);
    ctx.logger.warn({ err, user: msg.user }, "model upload refused");
    await say(`:x: Model not added: ${err.message}`);
  }
}

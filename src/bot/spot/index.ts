/** `/spot` routing: one handler per subcommand; unknown input answers with help; every failure answers the user. */
import { asCodedError } from "../../core/errors.js";
import type { BotContext } from "../context.js";
import { helpMessage } from "../views/help.js";
import type { RenderedMessage } from "../views/recommendation.js";
import { breaker, mode, pause, resume } from "./control.js";
import { experiments } from "./experiments.js";
import { models } from "./models.js";
import { quoteInput } from "./quote.js";
import { recommendations } from "./recommendations.js";
import { status } from "./status.js";
import { reply, type SpotHandler } from "./types.js";

const HANDLERS: Record<string, SpotHandler> = {
  help: async () => helpMessage(),
  status,
  recommendations,
  recs: recommendations,
  models,
  model: models,
  experiments,
  pause,
  resume,
  mode,
  breaker,
};

export async function runSpot(ctx: BotContext, userId: string, text: string): Promise<RenderedMessage> {
  const trimmed = text.trim();
  if (trimmed === "") return helpMessage();
  const [word] = trimmed.split(/\s+/);
  const handler = HANDLERS[word.toLowerCase()];
  if (!handler) return helpMessage(`I don't know \`/spot ${quoteInput(trimmed)}\`. Here is what I can do:`);
  const rest = trimmed.slice(word.length).trim();
  try {
    return await handler(ctx, { userId, args: rest ? rest.split(/\s+/) : [], rest });
  } catch (e) {
    const err = asCodedError(e);
    ctx.logger.warn({ err, userId, command: word }, "/spot failed");
    const icon = err.code === "forbidden" ? ":lock:" : err.code === "invalid_input" ? ":grey_question:" : ":warning:";
    const msg =
      err.code === "internal"
        ? `spotwise hit an internal error: ${err.message}. It is logged; try again or check \`/spot status\`.`
        : err.message;
    return reply(`${icon} ${msg}`);
  }
}

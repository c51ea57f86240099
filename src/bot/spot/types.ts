/** A parsed `/spot` invocation and what every subcommand returns. */
import type { BotContext } from "../context.js";
import type { RenderedMessage } from "../views/recommendation.js";

export interface SpotInvocation {
  userId: string;
  /** Words after the subcommand. */
  args: string[];
  /** Raw text after the subcommand (for free-form reasons). */
  rest: string;
}

export type SpotHandler = (ctx: BotContext, inv: SpotInvocation) => Promise<RenderedMessage>;

export function reply(text: string): RenderedMessage {
  const cut = text.length > 3000 ? `${text.slice(0, 2999)}…` : text;
  return { text: cut, blocks: [{ type: "section", text: { type: "mrkdwn", text: cut } }] };
}

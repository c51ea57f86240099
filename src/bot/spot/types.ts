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
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text: text.slice(0, 3000) } }] };
}

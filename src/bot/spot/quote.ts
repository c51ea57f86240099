import { clip, esc } from "../views/format.js";

/** User input echoed inside a code span: escaped for mrkdwn, no backticks or line breaks, cut to `max` characters. */
export function quoteInput(text: string, max = 80): string {
  return esc(clip(text.replace(/[`\r\n]+/g, " "), max));
}

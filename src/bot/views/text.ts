/** Renders Block Kit messages as readable plain text (the console notifier, logs). */
import type { KnownBlock } from "@slack/types";
import { plain, type RenderedMessage } from "./recommendation.js";

export function messageToText(msg: RenderedMessage): string {
  const out: string[] = [];
  for (const b of msg.blocks) out.push(...blockLines(b));
  return out.join("\n");
}

function blockLines(b: KnownBlock): string[] {
  switch (b.type) {
    case "header":
      return [`== ${b.text.text} ==`];
    case "section": {
      const lines: string[] = [];
      if (b.text) lines.push(plain(b.text.text));
      for (const f of b.fields ?? []) lines.push(plain(f.text).replace("\n", ": "));
      return lines;
    }
    case "context":
      return b.elements.map((e) => ("text" in e ? `  (${plain(e.text)})` : "")).filter(Boolean);
    case "actions":
      return [`  [${b.elements.map((e) => (e.type === "button" ? e.text.text : e.type)).join("] [")}]`];
    default:
      return [];
  }
}

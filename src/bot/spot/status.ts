import { checklistLines } from "../../core/control/checklist.js";
import { clip } from "../views/format.js";
import { statusMessage } from "../views/status.js";
import type { SpotHandler } from "./types.js";

export const status: SpotHandler = async (ctx) => {
  const [components, control, checklist] = await Promise.all([
    ctx.services.health.components(),
    ctx.services.control.state(),
    ctx.services.control.checklist(),
  ]);
  const m = statusMessage(components, control, ctx.clock.now());
  if (checklist.length === 0) return m;
  const green = checklist.every((c) => c.ok);
  const head = green
    ? "*Safety checklist for approve mode*: all green"
    : "*Safety checklist for approve mode*: `/spot mode approve` needs every item";
  m.blocks.push({
    type: "section",
    text: { type: "mrkdwn", text: clip(`${head}\n${checklistLines(checklist).join("\n")}`, 3000) },
  });
  return m;
};

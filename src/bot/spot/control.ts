/** The global kill switch and the mode. */
import { CodedError } from "../../core/errors.js";
import { clip, esc } from "../views/format.js";
import { requireApprover } from "./guard.js";
import { reply, type SpotHandler } from "./types.js";

export const pause: SpotHandler = async (ctx, inv) => {
  await requireApprover(ctx, inv.userId, "pause spotwise");
  const reason = clip(inv.rest.trim(), 500) || "paused from Slack";
  await ctx.services.control.pause(`slack:${inv.userId}`, reason);
  return reply(
    `:double_vertical_bar: spotwise is *paused* by <@${inv.userId}>: ${esc(reason)}. No switch starts until \`/spot resume\`.`,
  );
};

export const resume: SpotHandler = async (ctx, inv) => {
  await requireApprover(ctx, inv.userId, "resume spotwise");
  const s = await ctx.services.control.resume(`slack:${inv.userId}`);
  return reply(`:arrow_forward: spotwise *resumed* by <@${inv.userId}> (mode ${s.mode}).`);
};

export const mode: SpotHandler = async (ctx, inv) => {
  const m = inv.args[0];
  if (m !== "shadow" && m !== "approve") {
    const current = (await ctx.services.control.state()).mode;
    throw new CodedError("invalid_input", `Usage: \`/spot mode shadow|approve\` (now: ${current}).`);
  }
  await requireApprover(ctx, inv.userId, "change the mode");
  await ctx.services.control.setMode(m, `slack:${inv.userId}`);
  return reply(
    m === "approve"
      ? `Mode is now *approve* (by <@${inv.userId}>): approved recommendations are executed.`
      : `Mode is now *shadow* (by <@${inv.userId}>): spotwise only recommends, nothing is switched.`,
  );
};

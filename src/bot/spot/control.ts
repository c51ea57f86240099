/** The global kill switch, the mode and the breakers: admins only; the channel hears of every change. */
import { checklistLines } from "../../core/control/checklist.js";
import { CodedError } from "../../core/errors.js";
import { clip, esc } from "../views/format.js";
import { requireAdmin } from "./guard.js";
import { reply, type SpotHandler } from "./types.js";

export const pause: SpotHandler = async (ctx, inv) => {
  await requireAdmin(ctx, inv.userId, "pause spotwise");
  const reason = clip(inv.rest.trim(), 500) || "paused from Slack";
  await ctx.services.control.pause(`slack:${inv.userId}`, reason);
  return reply(
    `:double_vertical_bar: spotwise is *paused* by <@${inv.userId}>: ${esc(reason)}. No switch starts until \`/spot resume\`; the channel was told.`,
  );
};

export const resume: SpotHandler = async (ctx, inv) => {
  await requireAdmin(ctx, inv.userId, "resume spotwise");
  const s = await ctx.services.control.resume(`slack:${inv.userId}`);
  return reply(`:arrow_forward: spotwise *resumed* by <@${inv.userId}> (mode ${s.mode}); the channel was told.`);
};

export const mode: SpotHandler = async (ctx, inv) => {
  const m = inv.args[0];
  if (m !== "shadow" && m !== "approve") {
    const current = (await ctx.services.control.state()).mode;
    const checklist = checklistLines(await ctx.services.control.checklist());
    throw new CodedError(
      "invalid_input",
      `Usage: \`/spot mode shadow|approve\` (now: ${current}).${checklist.length ? `\nSafety checklist for approve mode:\n${checklist.join("\n")}` : ""}`,
    );
  }
  await requireAdmin(ctx, inv.userId, "change the mode");
  const s = await ctx.services.control.setMode(m, `slack:${inv.userId}`);
  return reply(
    s.mode === "approve"
      ? `Mode is now *approve* (by <@${inv.userId}>): approved recommendations are executed.`
      : `Mode is now *shadow* (by <@${inv.userId}>): spotwise only recommends, nothing is switched.`,
  );
};

/** `/spot breaker reset ACCOUNT`: closes an open circuit breaker once the cause is fixed. */
export const breaker: SpotHandler = async (ctx, inv) => {
  const [sub, account] = inv.args;
  if (sub !== "reset" || !account || !/^(\d{12}|sim|local)$/.test(account)) {
    throw new CodedError("invalid_input", "Usage: `/spot breaker reset ACCOUNT_ID` (a 12-digit AWS account id).");
  }
  await requireAdmin(ctx, inv.userId, "reset circuit breakers");
  await ctx.services.control.resetBreaker(account, `slack:${inv.userId}`);
  return reply(`:wrench: Circuit breaker of account ${account} reset by <@${inv.userId}>; the channel was told.`);
};

/** Changes need an approver: the same check as the Approve button, audited when refused. */
import { CodedError } from "../../core/errors.js";
import type { BotContext } from "../context.js";

export async function requireApprover(ctx: BotContext, userId: string, what: string): Promise<void> {
  const check = await ctx.approvers.check(userId);
  if (check.ok) return;
  await ctx.services.audit.record({
    at: ctx.clock.now(),
    actor: `slack:${userId}`,
    action: "slack.unauthorized_command",
    subject: what,
    detail: { why: check.why },
  });
  throw new CodedError("forbidden", `Only approvers may ${what}: ${check.why}.`);
}

/** Changes need a role: approvers approve switches; admins pause, change the mode, upload and promote. Refusals are audited. */
import { CodedError } from "../../core/errors.js";
import type { BotContext } from "../context.js";

export function requireApprover(ctx: BotContext, userId: string, what: string): Promise<void> {
  return requireRole(ctx, ctx.approvers, "approvers", userId, what);
}

/** Admins (SLACK_ADMINS or SLACK_ADMIN_GROUP): pause, resume, mode, breaker reset, model upload and promotion. */
export function requireAdmin(ctx: BotContext, userId: string, what: string): Promise<void> {
  return requireRole(ctx, ctx.admins, "admins", userId, what);
}

async function requireRole(
  ctx: BotContext,
  role: BotContext["approvers"],
  roleName: string,
  userId: string,
  what: string,
): Promise<void> {
  const check = await role.check(userId);
  if (check.ok) return;
  await ctx.services.audit.record({
    at: ctx.clock.now(),
    actor: `slack:${userId}`,
    action: "slack.unauthorized_command",
    subject: what,
    detail: { why: check.why },
  });
  throw new CodedError("forbidden", `Only ${roleName} may ${what}: ${check.why}.`);
}

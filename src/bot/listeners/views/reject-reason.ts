/** The submitted "Reject switch" dialog: close it at once, then reject with the reason. */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from "@slack/bolt";
import { errorMessage } from "../../../core/errors.js";
import { type BotContext, firstDelivery } from "../../context.js";
import type { ApprovalFlow } from "../../flows/approval.js";
import { REASON_BLOCK, REASON_INPUT, rejectTarget } from "../../views/reject-modal.js";

type Args = SlackViewMiddlewareArgs & AllMiddlewareArgs;

export const rejectReason = (ctx: BotContext, flow: ApprovalFlow) => (args: Args) =>
  ctx.tasks.track("reject dialog", handle(ctx, flow, args));

async function handle(ctx: BotContext, flow: ApprovalFlow, { ack, body, view, client }: Args): Promise<void> {
  await ack();
  const target = rejectTarget(view.private_metadata);
  if (!target) {
    ctx.logger.warn({ viewId: view.id }, "reject dialog with foreign metadata ignored");
    return;
  }
  if (!(await firstDelivery(ctx, `slack:view:${view.id}:${body.user.id}`))) return;
  const reason = view.state.values[REASON_BLOCK]?.[REASON_INPUT]?.value?.trim() || undefined;
  const click = { userId: body.user.id, recommendationId: target.recommendationId, ref: target.ref, client };
  try {
    await ctx.tasks.limited(() => flow.reject(click, reason), `user:${body.user.id}`);
  } catch (e) {
    ctx.logger.error({ err: e }, "reject dialog failed");
    await ctx.ephemeral(
      target.ref.channel,
      body.user.id,
      `:warning: spotwise could not reject: ${errorMessage(e)}. Try the Reject button again.`,
    );
  }
}

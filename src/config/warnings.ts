/**
 * Settings that are valid but leave spotwise in a state its operators rarely mean: nobody may approve, nobody may
 * pause, approve mode with no one to approve. `spotwise config check` prints them and every process logs them at
 * start, each with the setting that fixes it.
 */
import type { Config } from "./schema.js";

export interface ConfigWarning {
  /** The setting(s) concerned. */
  where: string;
  message: string;
}

export function configWarnings(config: Config): ConfigWarning[] {
  const e = config.env;
  const out: ConfigWarning[] = [];
  const slack = Boolean(e.SLACK_BOT_TOKEN);
  if (slack && e.SLACK_ADMINS.length === 0 && !e.SLACK_ADMIN_GROUP) {
    out.push({
      where: "SLACK_ADMINS, SLACK_ADMIN_GROUP",
      message:
        "no Slack admins: nobody can pause spotwise, change its mode, reset the breaker or promote a model from Slack. " +
        "Set SLACK_ADMINS=U0123ABCD,U0456EFGH (Slack member ids) or SLACK_ADMIN_GROUP=S0123ABCD (a user group id)",
    });
  }
  if (slack && e.SLACK_APPROVERS.length === 0 && !e.SLACK_APPROVER_GROUP) {
    out.push({
      where: "SLACK_APPROVERS, SLACK_APPROVER_GROUP",
      message:
        "no Slack approvers: every Approve click will be refused. " +
        "Set SLACK_APPROVERS=U0123ABCD,... (Slack member ids) or SLACK_APPROVER_GROUP=S0123ABCD",
    });
  }
  if (e.SPOTWISE_MODE === "approve" && !slack) {
    out.push({
      where: "SPOTWISE_MODE",
      message:
        "SPOTWISE_MODE=approve without SLACK_BOT_TOKEN: recommendations go to the console and nobody can approve them. " +
        "Set the Slack variables (docs/slack.md) or leave SPOTWISE_MODE=shadow",
    });
  }
  if (e.REDIS_URL && !e.DATABASE_URL) {
    out.push({
      where: "DATABASE_URL",
      message:
        "REDIS_URL is set but DATABASE_URL is not: each process keeps its own embedded database, so replicas sharing " +
        "this Redis would not share recommendations, sagas or models. Set DATABASE_URL=postgres://… for more than one process",
    });
  }
  return out;
}

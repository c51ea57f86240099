/** The bot's settings from the validated spotwise Config (env + YAML). */
import type { Config } from "../config/schema.js";
import { CodedError } from "../core/errors.js";
import type { BotConfig } from "./context.js";

/** Null when SLACK_BOT_TOKEN is not set: spotwise then runs with the console notifier. */
export function botConfigFromConfig(config: Config): BotConfig | null {
  const e = config.env;
  if (!e.SLACK_BOT_TOKEN) return null;
  if (!e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
    throw new CodedError(
      "config_invalid",
      "SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN (Socket Mode) is set",
    );
  }
  return {
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    appToken: e.SLACK_APP_TOKEN,
    port: e.PORT,
    apiUrl: e.SLACK_API_URL,
    channel: e.SLACK_CHANNEL,
    approvers: e.SLACK_APPROVERS,
    approverGroup: e.SLACK_APPROVER_GROUP,
    admins: e.SLACK_ADMINS,
    adminGroup: e.SLACK_ADMIN_GROUP,
    progressIntervalMs: config.file.slack.progressIntervalSeconds * 1000,
    twoPersonAccounts: config.file.accounts.filter((a) => a.twoPersonRule).map((a) => a.id),
    maxModelBytes: config.file.models.maxBytes,
  };
}

/** Picks the notifier: Slack when SLACK_BOT_TOKEN and SLACK_CHANNEL are set, the console otherwise. */
import { WebClient } from "@slack/web-api";
import type { Config } from "../../config/schema.js";
import { CodedError } from "../../core/errors.js";
import type { Notifier } from "../../core/ports/notifier.js";
import { ConsoleNotifier } from "./console-notifier.js";
import { SlackNotifier } from "./notifier.js";
import type { SlackWriteQueue } from "./write-queue.js";

export function notifierFromConfig(
  config: Config,
  opts: { client?: WebClient; write?: (t: string) => void; queue?: SlackWriteQueue } = {},
): Notifier {
  const e = config.env;
  if (!e.SLACK_BOT_TOKEN) return new ConsoleNotifier({ write: opts.write });
  if (!e.SLACK_CHANNEL) {
    throw new CodedError(
      "config_invalid",
      "SLACK_CHANNEL is required with SLACK_BOT_TOKEN: the channel id (C…) for recommendations and digests",
    );
  }
  const client = opts.client ?? new WebClient(e.SLACK_BOT_TOKEN, { slackApiUrl: e.SLACK_API_URL });
  return new SlackNotifier({ client, channel: e.SLACK_CHANNEL, queue: opts.queue });
}

export { ConsoleNotifier } from "./console-notifier.js";
export { slackFileFetcher } from "./files.js";
export { SlackNotifier } from "./notifier.js";
export { SlackRequestVerifier, verifySlackSignature } from "./verify.js";

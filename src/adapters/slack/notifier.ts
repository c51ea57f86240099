/**
 * The Notifier port on Slack's Web API: recommendations with buttons (chat.postMessage), saga progress as
 * thread replies, refreshed figures and final states by chat.update, announcements of global changes, the
 * digest as a message plus its chart (files.uploadV2). Every call goes through the rate-aware write queue.
 */
import type { WebClient } from "@slack/web-api";
import { digestMessage } from "../../bot/views/digest.js";
import { clip, readablePools } from "../../bot/views/format.js";
import {
  plain as plainText,
  type RecommendationState,
  type RenderedMessage,
  recommendationMessage,
} from "../../bot/views/recommendation.js";
import { messageToText } from "../../bot/views/text.js";
import { CodedError } from "../../core/errors.js";
import type {
  DigestReport,
  MessageRef,
  Notifier,
  RecommendationMessage,
  RecommendationView,
} from "../../core/ports/notifier.js";
import { renderSavingsChart } from "./chart.js";
import { SlackWriteQueue } from "./write-queue.js";

export interface SlackNotifierOptions {
  client: WebClient;
  /** Channel id (C…) for recommendations, digests and alerts (SLACK_CHANNEL). */
  channel: string;
  /** The process's one write queue (a private one when absent). */
  queue?: SlackWriteQueue;
}

export class SlackNotifier implements Notifier {
  private readonly queue: SlackWriteQueue;

  constructor(private readonly opts: SlackNotifierOptions) {
    this.queue = opts.queue ?? new SlackWriteQueue();
  }

  async recommend(rec: RecommendationMessage, view: RecommendationView = {}): Promise<MessageRef> {
    return this.post(this.opts.channel, recommendationMessage(rec, view));
  }

  async progress(ref: MessageRef, text: string): Promise<void> {
    await this.call("chat.postMessage", ref.channel, () =>
      this.opts.client.chat.postMessage({
        channel: ref.channel,
        thread_ts: ref.ts,
        text: clip(readablePools(text), 3000),
      }),
    );
  }

  /** A global change (pause, mode, promote, breaker…) in the channel, as its own message. */
  async announce(text: string): Promise<void> {
    await this.post(this.opts.channel, {
      text: plainText(text),
      blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(text, 3000) } }],
    });
  }

  async resolve(ref: MessageRef, rec: RecommendationMessage, status: string): Promise<void> {
    await this.update(ref, rec, { status });
  }

  /** Re-renders the recommendation in place with a status line (and its buttons when `keepButtons`). */
  async update(ref: MessageRef, rec: RecommendationMessage, state: RecommendationState = {}): Promise<void> {
    const m = recommendationMessage(rec, state);
    await this.call("chat.update", ref.channel, () =>
      this.opts.client.chat.update({ channel: ref.channel, ts: ref.ts, text: m.text, blocks: m.blocks }),
    );
  }

  async digest(digest: DigestReport): Promise<void> {
    const ref = await this.post(this.opts.channel, digestMessage(digest));
    const png = digest.chartPng ?? renderSavingsChart(digest.series);
    await this.call("files.uploadV2", ref.channel, () =>
      this.opts.client.filesUploadV2({
        channel_id: ref.channel,
        thread_ts: ref.ts,
        file: Buffer.from(png),
        filename: `spotwise-savings-${digest.day}.png`,
        title: `Savings over the last 30 days (to ${digest.day})`,
        alt_text: "Realized savings per day (green bars) and shadow-mode counterfactual savings (blue line)",
      }),
    );
  }

  async alert(text: string): Promise<void> {
    await this.post(this.opts.channel, {
      text: `:warning: ${text}`,
      blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(`:warning: ${text}`, 3000) } }],
    });
  }

  private async post(channel: string, m: RenderedMessage): Promise<MessageRef> {
    const res = await this.call("chat.postMessage", channel, () =>
      this.opts.client.chat.postMessage({ channel, text: clip(m.text, 3000), blocks: m.blocks }),
    );
    if (!res.ts || !res.channel) throw new CodedError("unavailable", "Slack chat.postMessage returned no ts/channel");
    return { channel: res.channel, ts: res.ts };
  }

  private async call<T>(method: string, channel: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.queue.run(method, channel, fn);
    } catch (e) {
      const code = (e as { data?: { error?: string } }).data?.error ?? (e as Error).message;
      throw new CodedError(
        "unavailable",
        `Slack ${method} failed: ${code}. ${hint(code)}`,
        { method, error: code },
        { cause: e },
      );
    }
  }
}

function hint(code: string): string {
  if (code === "not_in_channel" || code === "channel_not_found") {
    return "Invite the bot to SLACK_CHANNEL (/invite @spotwise) or fix the channel id.";
  }
  if (code === "invalid_auth" || code === "not_authed" || code === "token_revoked") return "Check SLACK_BOT_TOKEN.";
  if (code === "missing_scope") return "Reinstall the app from slack/manifest.yaml to grant the scopes.";
  return "See docs/slack.md.";
}

/** A link to a message that opens it in Slack (no API call: the archive URL redirects to the workspace). */
export function messageLink(ref: MessageRef): string {
  return `https://slack.com/archives/${ref.channel}/p${ref.ts.replace(".", "")}`;
}

/** Exported for the console notifier and logs: the same messages as text. */
export function recommendationText(rec: RecommendationMessage, state: RecommendationState = {}): string {
  return messageToText(recommendationMessage(rec, state));
}

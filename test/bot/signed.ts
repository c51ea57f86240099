/** Sends requests to the bot the way Slack does: form-encoded and signed (v0), optionally as a retry. */
import { signSlackRequest } from "../../src/adapters/slack/verify.js";

export interface SignedOptions {
  secret: string;
  /** Seconds since the epoch (default: now). */
  timestampSec?: number;
  /** Override the signature (e.g. to send none). */
  signature?: string | null;
  retryNum?: number;
  contentType?: string;
}

export async function postSigned(
  port: number,
  body: string,
  o: SignedOptions,
): Promise<{ status: number; text: string }> {
  const ts = String(o.timestampSec ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    "content-type": o.contentType ?? "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": ts,
  };
  const sig = o.signature === undefined ? signSlackRequest(o.secret, ts, body) : o.signature;
  if (sig !== null) headers["x-slack-signature"] = sig;
  if (o.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(o.retryNum);
    headers["x-slack-retry-reason"] = "http_timeout";
  }
  const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}

export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function buttonPayload(input: {
  actionId: string;
  value: string;
  userId: string;
  channel?: string;
  messageTs?: string;
  actionTs?: string;
}): Record<string, unknown> {
  const channel = input.channel ?? "C0RECS";
  const ts = input.messageTs ?? "1764000000.000001";
  return {
    type: "block_actions",
    team: { id: "T1", domain: "acme" },
    user: { id: input.userId, username: input.userId.toLowerCase(), team_id: "T1" },
    api_app_id: "A1",
    token: "legacy",
    trigger_id: "1.2.3",
    container: { type: "message", message_ts: ts, channel_id: channel, is_ephemeral: false },
    channel: { id: channel, name: "spotwise" },
    message: { type: "message", ts, text: "recommendation", user: "UBOT" },
    response_url: "http://127.0.0.1:1/response/unused",
    actions: [
      {
        type: "button",
        action_id: input.actionId,
        block_id: `rec-actions:${input.value}`,
        value: input.value,
        text: { type: "plain_text", text: input.actionId },
        action_ts: input.actionTs ?? `${Date.now() / 1000}`,
      },
    ],
  };
}

export function commandBody(input: { text: string; userId: string; responseUrl: string }): string {
  return new URLSearchParams({
    token: "legacy",
    team_id: "T1",
    team_domain: "acme",
    channel_id: "C0RECS",
    channel_name: "spotwise",
    user_id: input.userId,
    user_name: input.userId.toLowerCase(),
    command: "/spot",
    text: input.text,
    api_app_id: "A1",
    response_url: input.responseUrl,
    trigger_id: "1.2.3",
  }).toString();
}

export function eventBody(event: Record<string, unknown>, eventId: string): string {
  return JSON.stringify({
    token: "legacy",
    team_id: "T1",
    api_app_id: "A1",
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event,
  });
}

/** A view_submission of a dialog the bot opened (its views.open params), with text input values. */
export function viewSubmissionPayload(input: {
  view: { callback_id?: string; private_metadata?: string };
  userId: string;
  values: Record<string, Record<string, string>>;
  viewId?: string;
}): Record<string, unknown> {
  const values = Object.fromEntries(
    Object.entries(input.values).map(([block, actions]) => [
      block,
      Object.fromEntries(Object.entries(actions).map(([a, value]) => [a, { type: "plain_text_input", value }])),
    ]),
  );
  return {
    type: "view_submission",
    team: { id: "T1", domain: "acme" },
    user: { id: input.userId, username: input.userId.toLowerCase(), team_id: "T1" },
    api_app_id: "A1",
    token: "legacy",
    trigger_id: "4.5.6",
    view: {
      id: input.viewId ?? `V${Date.now()}`,
      team_id: "T1",
      type: "modal",
      callback_id: input.view.callback_id,
      private_metadata: input.view.private_metadata ?? "",
      state: { values },
      hash: "h",
      blocks: [],
      title: { type: "plain_text", text: "x" },
      app_id: "A1",
      bot_id: "BBOT",
    },
  };
}

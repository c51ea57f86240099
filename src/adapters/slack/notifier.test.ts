import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decodePng } from "../../../test/adapters/png-decode.js";
import { FAST_LIMITS, FakeSlack, writeQueueFor } from "../../../test/bot/fake-slack.js";
import { switchDecision } from "../../../test/core/recommendation-fixtures.js";
import type { DigestReport, RecommendationMessage } from "../../core/ports/notifier.js";
import { ConsoleNotifier, sparkline } from "./console-notifier.js";
import { SlackNotifier } from "./notifier.js";

const rec: RecommendationMessage = {
  recommendationId: "7f0c2f0e-1111-4222-8333-444455556666",
  decision: switchDecision("i-0abc"),
  region: "us-east-1",
  accountName: "prod",
  expiresAt: Date.UTC(2026, 10, 28, 16),
  mode: "approve",
};

function digest(): DigestReport {
  const series = Array.from({ length: 30 }, (_, i) => ({
    day: `2026-11-${String(i + 1).padStart(2, "0")}`,
    realized: i < 10 ? 0 : 5 + i,
    counterfactual: 20 + i,
  }));
  return {
    day: "2026-11-30",
    realizedSavingsUsd: 34,
    counterfactualSavingsUsd: 49,
    decisions: { SWITCH: 3, STAY: 120, ONDEMAND: 1 },
    switches: { ok: 2, rolledBack: 1, failed: 0 },
    breakers: [
      { accountId: "123456789012", state: "closed" },
      { accountId: "210987654321", state: "open" },
    ],
    experiments: [{ model: "gbt-v4", auc: 0.812, brier: 0.094, n: 1200 }],
    series,
  };
}

describe("SlackNotifier against a recording Web API", () => {
  const slack = new FakeSlack(FAST_LIMITS);
  let n: SlackNotifier;

  beforeAll(async () => {
    await slack.start();
    const client = new WebClient("xoxb-test", { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    n = new SlackNotifier({ client, channel: "C0RECS", queue: writeQueueFor(slack.limits) });
  });
  afterAll(() => slack.stop());
  beforeEach(() => slack.reset());

  it("recommend posts blocks with the buttons; progress replies in the thread; resolve replaces the buttons", async () => {
    const ref = await n.recommend(rec);
    expect(ref.channel).toBe("C0RECS");
    await n.progress(ref, "Switch 1 started: i-0abc us-east-1/us-east-1a/m5.large → us-east-1/us-east-1b/m5a.large");
    await n.resolve(ref, rec, ":x: Rejected by <@U1>.");
    const [post, reply] = slack.callsTo("chat.postMessage");
    expect(String(post.params.text)).toContain(
      "Switch i-0abc: m5.large in us-east-1a → m5a.large in us-east-1b · save $22.63/month",
    );
    // pools read as people read them, not as raw ids
    expect(reply.params).toMatchObject({
      channel: "C0RECS",
      thread_ts: ref.ts,
      text: "Switch 1 started: i-0abc m5.large in us-east-1a → m5a.large in us-east-1b",
    });
    const update = slack.callsTo("chat.update")[0].params;
    expect(update.ts).toBe(ref.ts);
    expect(JSON.stringify(update.blocks)).toContain("Rejected by <@U1>");
    expect(JSON.stringify(update.blocks)).not.toContain("spotwise_approve");
  });

  it("digest posts the summary and uploads the chart PNG with files.uploadV2 in its thread", async () => {
    await n.digest(digest());
    const post = slack.callsTo("chat.postMessage")[0];
    const blocks = JSON.stringify(post.params.blocks);
    for (const s of [
      "$34.00",
      "$49.00",
      "3 instances advised to switch",
      "2 ok · 1 rolled back · 0 failed",
      "210987654321 *open*",
      "gbt-v4: AUC 0.812",
    ]) {
      expect(blocks).toContain(s);
    }
    expect(slack.callsTo("files.getUploadURLExternal")[0].params).toMatchObject({
      filename: "spotwise-savings-2026-11-30.png",
    });
    expect(slack.uploads).toHaveLength(1);
    const png = decodePng(slack.uploads[0].bytes);
    expect([png.width, png.height]).toEqual([720, 300]);
    const complete = slack.callsTo("files.completeUploadExternal")[0].params;
    expect(complete.channel_id).toBe("C0RECS");
    expect(String(complete.thread_ts)).toMatch(/^1764000000\.\d{6}$/);
  });

  it("a Slack error becomes an actionable CodedError", async () => {
    slack.failures.set("chat.postMessage", "not_in_channel");
    try {
      await expect(n.alert("breaker open")).rejects.toMatchObject({
        code: "unavailable",
        message: expect.stringContaining("Invite the bot to SLACK_CHANNEL"),
      });
    } finally {
      slack.failures.clear();
    }
  });
});

describe("ConsoleNotifier", () => {
  it("renders the same messages as readable text", async () => {
    const lines: string[] = [];
    const n = new ConsoleNotifier({ write: (t) => lines.push(t) });
    const ref = await n.recommend(rec);
    await n.progress(ref, "launch: ok");
    await n.resolve(ref, rec, ":white_check_mark: Approved by <@U1>");
    await n.digest(digest());
    await n.alert("circuit breaker open for 210987654321");
    const out = lines.join("\n");
    expect(lines[0]).toContain(
      "== Switch i-0abc: m5.large in us-east-1a → m5a.large in us-east-1b · save $22.63/month ==",
    );
    expect(lines[0]).toContain("Price saving: $0.0310/h · $22.63/month");
    expect(lines[0]).toContain("Risk source: model gbt-v3 (confidence 91%)");
    expect(lines[0]).toContain("[Approve] [Reject] [Snooze 24 h]");
    expect(lines[1]).toBe("[spotwise #1 ↳] launch: ok");
    expect(lines[2]).toContain("Approved by @U1");
    expect(lines[2]).not.toContain("[Approve]");
    expect(out).toContain("realized       ▁▁▁▁▁▁▁▁▁▁");
    expect(out).toContain("[spotwise ALERT] circuit breaker open for 210987654321");
  });

  it("sparkline scales to the maximum", () => {
    expect(sparkline([0, 5, 10])).toBe("▁▅█");
    expect(sparkline([0, 0])).toBe("▁▁");
  });
});

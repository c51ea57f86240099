/**
 * Issue 16 at the protocol edge: signed requests to the real Bolt receiver, a local Web API that records
 * calls and enforces Slack's rate limits (429 + Retry-After, one post per second per channel), the real
 * recommendation service, publisher, control service and announcer.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeSlack, SLACK_LIMITS } from "../../test/bot/fake-slack.js";
import { SECRET, startHarness } from "../../test/bot/harness.js";
import { buttonPayload, interactionBody, postSigned } from "../../test/bot/signed.js";
import { switchDecision } from "../../test/core/recommendation-fixtures.js";
import { testDatabase } from "../../test/support/services.js";
import type { Database } from "../adapters/db/orm.js";
import { createLogger } from "../adapters/log/logger.js";
import { slackFileFetcher } from "../adapters/slack/files.js";
import { messageLink, SlackNotifier } from "../adapters/slack/notifier.js";
import { SlackWriteQueue } from "../adapters/slack/write-queue.js";
import { Announcer, switchingOffLine } from "../core/control/announcer.js";
import { type ChecklistItem, evaluateChecklist } from "../core/control/checklist.js";
import { ControlService } from "../core/control/service.js";
import { MemoryControlStore } from "../core/control/store.js";
import { MemoryAuditLog } from "../core/ports/audit.js";
import { ManualClock } from "../core/ports/clock.js";
import { RecommendationPublisher } from "../core/recommendations/publisher.js";
import type { Mode } from "../core/types.js";
import type { BotServices } from "./services.js";
import { ACTION_APPROVE } from "./views/recommendation.js";
import { controlOps } from "./wiring.js";

const log = createLogger({ level: "silent" });

describe("issue 16: a quiet, truthful channel", () => {
  let db: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(() => db.dispose());

  /** A harness with the real control service, publisher and announcer wired as the container wires them. */
  async function start(
    slack: FakeSlack,
    o: {
      defaultMode?: Mode;
      budget?: number;
      checklist?: () => Promise<ChecklistItem[]>;
      saga?: Parameters<typeof startHarness>[0]["saga"];
      config?: Parameters<typeof startHarness>[0]["config"];
      fetchFile?: BotServices["fetchFile"];
    } = {},
  ) {
    const clock = new ManualClock(Date.now());
    const audit = new MemoryAuditLog();
    const control = new ControlService(new MemoryControlStore(), audit, clock, {
      defaultMode: o.defaultMode ?? "approve",
      breakerThreshold: 2,
      breakerCooldownMs: 3600_000,
      dailyBudget: o.budget ?? 5,
      checklist: o.checklist,
    });
    const h = await startHarness({
      db,
      slack,
      clock,
      audit,
      saga: o.saga,
      config: o.config,
      fetchFile: o.fetchFile,
      override: () => ({ control: controlOps(control) }),
    });
    const publisher = new RecommendationPublisher(h.recs, h.notifier, {
      switchingOff: async () => switchingOffLine(await control.switchingState()),
      link: messageLink,
    });
    new Announcer({ notifier: h.notifier, control, publisher, log }).attach();
    return { h, control, publisher, clock, audit };
  }

  describe("against Slack's rate limits (one post per second per channel, 429 + Retry-After)", () => {
    const slack = new FakeSlack(SLACK_LIMITS);
    let t: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      await slack.start();
      t = await start(slack, { config: { progressIntervalMs: 50 } });
    });
    afterAll(async () => {
      await t.h.stop();
      await slack.stop();
    });
    beforeEach(() => slack.reset());

    it("a burst of posts, thread replies and an announcement to one channel: every one delivered, no 429 drawn", async () => {
      const posts = Array.from({ length: 3 }, (_, i) =>
        t.publisher.publish({ decision: switchDecision(`i-burst${i}`), mode: "approve" }),
      );
      const announce = t.control.pause("slack:UADMIN", "burst test");
      await Promise.all([...posts, announce]);
      await t.control.resume("slack:UADMIN");
      expect(slack.rateLimited).toHaveLength(0);
      // 3 recommendations + 2 announcements, each exactly once
      const texts = slack.callsTo("chat.postMessage").map((c) => String(c.params.text));
      expect(texts.filter((x) => x.includes("Switch i-burst"))).toHaveLength(3);
      expect(texts.filter((x) => /paused|resumed/.test(x))).toHaveLength(2);
    });

    it("a switch stays within 12 Web API calls and three thread replies, steps coalesced on its message", async () => {
      const { id, ref } = await t.h.recommend();
      slack.reset();
      await t.h.click(ACTION_APPROVE, id, "UAPPROVER", { ref });
      await t.h.bot.idle();
      const writes = slack.calls.filter((c) => c.method !== "auth.test");
      expect(writes.length).toBeLessThanOrEqual(12);
      const thread = slack.callsTo("chat.postMessage").filter((c) => c.params.thread_ts === ref.ts);
      expect(thread.length).toBeLessThanOrEqual(3);
      expect(thread.map((c) => String(c.params.text))).toEqual([
        expect.stringContaining("started"),
        expect.stringContaining("Done"),
      ]);
      expect(slack.rateLimited).toHaveLength(0);
      expect((await t.h.recs.get(id))?.status).toBe("done");
    });

    it("a queue that sends too fast is told 429 + Retry-After, waits, and still delivers every message", async () => {
      const client = new WebClient("xoxb-test", {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
      });
      // misconfigured spacing (0 ms): Slack's limit answers, the queue honours Retry-After
      const n = new SlackNotifier({ client, channel: "C0FAST", queue: new SlackWriteQueue({ channelIntervalMs: 0 }) });
      await Promise.all(["one", "two", "three"].map((x) => n.announce(x)));
      expect(slack.rateLimited.length).toBeGreaterThan(0);
      expect(
        slack
          .callsTo("chat.postMessage")
          .map((c) => c.params.text)
          .sort(),
      ).toEqual(["one", "three", "two"]);
    });
  });

  describe("refuse before burning, open messages follow switching, announcements, roles", () => {
    const slack = new FakeSlack({ channelPostIntervalMs: 50, perMinute: {} });
    let checklist: ChecklistItem[] = [];
    let t: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      await slack.start();
      t = await start(slack, { budget: 1, checklist: async () => checklist });
    });
    afterAll(async () => {
      await t.h.stop();
      await slack.stop();
    });
    beforeEach(async () => {
      slack.reset();
      checklist = [];
    });

    const ephemerals = () => slack.callsTo("chat.postEphemeral").map((c) => String(c.params.text));
    const announcements = () =>
      slack
        .callsTo("chat.postMessage")
        .filter((c) => !c.params.thread_ts)
        .map((c) => String(c.params.text));

    async function clickApprove(id: string, ref: { channel: string; ts: string }, actionTs: string) {
      await t.h.click(ACTION_APPROVE, id, "UAPPROVER", { ref, actionTs });
      await t.h.bot.idle();
    }

    it("paused: Approve is refused with `/spot resume`, nothing runs, the recommendation stays pending; the channel and the open message are told", async () => {
      const { id, ref } = await t.h.recommend();
      expect(String((await t.h.command("pause incident 7", "UADMIN")).text)).toContain("paused");
      expect(announcements()).toContainEqual(expect.stringContaining("@UADMIN paused switching: incident 7"));
      const update = slack.callsTo("chat.update").find((c) => c.params.ts === ref.ts);
      expect(JSON.stringify(update?.params.blocks)).not.toContain(ACTION_APPROVE);
      expect(JSON.stringify(update?.params.blocks)).toContain("/spot resume");
      await clickApprove(id, ref, "1.1");
      expect(ephemerals().at(-1)).toMatch(
        /Not approved: switching is paused by <@UADMIN> \(incident 7\).*`\/spot resume`.*stays open/,
      );
      expect(t.h.services.log.switches).toHaveLength(0);
      expect((await t.h.recs.get(id))?.status).toBe("pending");
      expect(t.audit.events.at(-1)).toMatchObject({ action: "recommendation.approve_refused" });

      slack.reset();
      await t.h.command("resume", "UADMIN");
      expect(announcements()).toContainEqual(expect.stringContaining("@UADMIN resumed switching"));
      const back = slack.callsTo("chat.update").find((c) => c.params.ts === ref.ts);
      expect(JSON.stringify(back?.params.blocks)).toContain(ACTION_APPROVE);
      await clickApprove(id, ref, "1.2");
      expect(t.h.services.log.switches).toEqual([{ recommendationId: id, approver: "UAPPROVER" }]);
    });

    it("shadow mode, an open breaker and a used-up budget: each refused with the exact command or setting", async () => {
      const { id, ref } = await t.h.recommend();
      await t.h.command("mode shadow", "UADMIN");
      expect(announcements()).toContainEqual(expect.stringContaining("@UADMIN turned on shadow mode"));
      await clickApprove(id, ref, "2.1");
      expect(ephemerals().at(-1)).toContain("`/spot mode approve`");
      await t.h.command("mode approve", "UADMIN");

      await t.control.recordFailure("123456789012", "capacity");
      await t.control.recordFailure("123456789012", "capacity");
      expect(announcements()).toContainEqual(
        expect.stringMatching(/circuit breaker of account 123456789012 opened after 2 failed switches/),
      );
      await clickApprove(id, ref, "2.2");
      expect(ephemerals().at(-1)).toContain("`/spot breaker reset 123456789012`");
      expect(String((await t.h.command("breaker reset 123456789012", "UADMIN")).text)).toContain("reset");

      await t.control.consumeBudget("daemon");
      await clickApprove(id, ref, "2.3");
      expect(ephemerals().at(-1)).toMatch(/today's switch budget is used up \(1 of 1\).*switch\.dailyBudget/);
      expect((await t.h.recs.get(id))?.status).toBe("pending");
      expect(t.h.services.log.switches.filter((s) => s.recommendationId === id)).toHaveLength(0);
    });

    it("admins pause and change the mode; approvers cannot; approve mode lists what the checklist misses", async () => {
      expect(String((await t.h.command("pause", "UAPPROVER2")).text)).toContain("Only admins may pause spotwise");
      expect(String((await t.h.command("mode shadow", "UAPPROVER2")).text)).toContain(
        "Only admins may change the mode",
      );
      await t.h.command("mode shadow", "UADMIN");
      checklist = evaluateChecklist({
        now: Date.UTC(2026, 10, 30),
        shadowDays: 7,
        history: { firstDecisionAt: Date.UTC(2026, 10, 28), recommendations: 3, counterfactuals: 0 },
        dailyBudget: 0,
        channel: "C0RECS",
        channelHealth: { ok: true, at: 0 },
        breakers: [],
      });
      const refused = String((await t.h.command("mode approve", "UADMIN")).text);
      expect(refused).toContain("approve mode needs the safety checklist green");
      expect(refused).toContain("shadow period: 2.0 of 7 days");
      expect(refused).toContain("switch.dailyBudget");
      expect(refused).not.toContain("announcements channel");
      expect((await t.control.mode()).mode).toBe("shadow");
      const status = JSON.stringify(await t.h.command("status", "U1"));
      expect(status).toContain("Safety checklist for approve mode");
      checklist = [];
      expect(String((await t.h.command("mode approve", "UADMIN")).text)).toContain("Mode is now *approve*");
    });

    it("every unknown action is acked (200), not left to time out", async () => {
      const payload = buttonPayload({ actionId: "some_old_button", value: "x", userId: "U1" });
      const res = await postSigned(t.h.port, interactionBody(payload), { secret: SECRET });
      expect(res.status).toBe(200);
    });
  });

  it("SPOTWISE_MODE=shadow is a ceiling: `/spot mode approve` cannot lift it", async () => {
    const slack = new FakeSlack({ channelPostIntervalMs: 50, perMinute: {} });
    await slack.start();
    const t = await start(slack, { defaultMode: "shadow" });
    try {
      expect(String((await t.h.command("mode approve", "UADMIN")).text)).toContain(
        "SPOTWISE_MODE=shadow, a ceiling no Slack command lifts",
      );
      expect((await t.control.mode()).mode).toBe("shadow");
    } finally {
      await t.h.stop();
      await slack.stop();
    }
  });

  it("a slow model download never holds up another user's command", async () => {
    const slack = new FakeSlack({ channelPostIntervalMs: 50, perMinute: {} });
    await slack.start();
    const release: Array<() => void> = [];
    const t = await start(slack, {
      fetchFile: () =>
        new Promise<Uint8Array>((_, reject) => {
          release.push(() => reject(new Error("released")));
        }),
    });
    try {
      // two slow uploads (the old shared queue had two slots for everyone)
      const uploads = [1, 2].map((i) => t.h.command(`models upload https://files.slack.com/m${i}.onnx`, "UADMIN"));
      await slack.waitFor(() => release.length >= 1, "a download started");
      const help = await t.h.command("help", "UOTHER");
      expect(JSON.stringify(help)).toContain("/spot");
      while (release.length < 2) await new Promise((r) => setTimeout(r, 5));
      for (const r of release) r();
      await Promise.all(uploads);
    } finally {
      await t.h.stop();
      await slack.stop();
    }
  });

  it("downloads: the token never goes over plain HTTP, and a stalled download hits its deadline", async () => {
    const fetcher = slackFileFetcher({ token: "xoxb-secret", timeoutMs: 200 });
    await expect(fetcher("http://files.slack.com/files-pri/T1-F1/m.onnx", 1000)).rejects.toThrow(
      /refusing to send the bot token to http:\/\/files\.slack\.com/,
    );
    const stall = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => stall.listen(0, "127.0.0.1", r));
    const origin = `http://127.0.0.1:${(stall.address() as AddressInfo).port}`;
    try {
      const slow = slackFileFetcher({ token: "xoxb-secret", timeoutMs: 200, allowedOrigins: [origin] });
      await expect(slow(`${origin}/m.onnx`, 1000)).rejects.toThrow(/took longer than/);
    } finally {
      stall.closeAllConnections();
      await new Promise<void>((r) => stall.close(() => r()));
    }
  });
});

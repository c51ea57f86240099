import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeSlack } from "../../test/bot/fake-slack.js";
import { type Harness, SECRET, startHarness } from "../../test/bot/harness.js";
import { eventBody, postSigned } from "../../test/bot/signed.js";
import { testDatabase } from "../../test/support/services.js";
import type { Database } from "../adapters/db/orm.js";
import type { SwitchSummary } from "./services.js";
import { blockKitProblems } from "./views/limits.js";

const done: SwitchSummary = {
  id: "s1",
  instanceId: "i-0old",
  newInstanceId: "i-0new",
  accountId: "123456789012",
  from: { region: "eu-west-1", az: "eu-west-1c", instanceType: "p3.16xlarge" },
  to: { region: "eu-west-1", az: "eu-west-1a", instanceType: "p3.16xlarge" },
  state: "done",
  requestedBy: "slack:UAPPROVER",
  startedAt: Date.UTC(2026, 10, 30, 10),
  finishedAt: Date.UTC(2026, 10, 30, 10, 9),
  error: null,
};

describe("App Home and DMs through the real Bolt receiver", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack();
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
    h = await startHarness({
      db,
      slack,
      override: () => ({ switches: { recent: async (n: number) => [done].slice(0, n) } }),
    });
  });
  afterAll(async () => {
    await h.stop();
    await slack.stop();
    await db.dispose();
  });
  beforeEach(() => slack.reset());

  const send = (event: Record<string, unknown>) =>
    postSigned(h.port, eventBody(event, `EvHOME${String(++seq).padStart(4, "0")}`), {
      secret: SECRET,
      contentType: "application/json",
    });

  it("app_home_opened publishes status, open recommendations and the last switches for that user", async () => {
    await h.recommend();
    expect((await send({ type: "app_home_opened", user: "U1", channel: "D0HOME", tab: "home" })).status).toBe(200);
    await slack.waitFor(() => slack.callsTo("views.publish").length === 1, "views.publish");
    const { params } = slack.callsTo("views.publish")[0];
    expect(params.user_id).toBe("U1");
    const view = (typeof params.view === "string" ? JSON.parse(params.view) : params.view) as {
      type: string;
      blocks: Parameters<typeof blockKitProblems>[0];
    };
    expect(view.type).toBe("home");
    expect(blockKitProblems(view.blocks)).toEqual([]);
    const text = JSON.stringify(view.blocks);
    for (const s of [
      "spotwise status:",
      "*database*",
      "*circuit breakers*",
      "Open recommendations* (1)",
      "m5.large in us-east-1a → m5a.large in us-east-1b",
      "`i-0old` → `i-0new` eu-west-1c → eu-west-1a, p3.16xlarge · :white_check_mark: done",
    ]) {
      expect(text).toContain(s);
    }
  });

  it("the Messages tab opening publishes nothing", async () => {
    await send({ type: "app_home_opened", user: "U1", channel: "D0HOME", tab: "messages" });
    await h.bot.idle();
    expect(slack.callsTo("views.publish")).toHaveLength(0);
  });

  it("a DM `help` is answered with the command list; `status` like the command; bot messages are ignored", async () => {
    const dm = (text: string, extra: Record<string, unknown> = {}) =>
      send({
        type: "message",
        channel: "D0DM",
        channel_type: "im",
        user: "U1",
        text,
        ts: `1764000400.0000${++seq}`,
        ...extra,
      });
    await dm("help");
    await slack.waitFor(() => slack.callsTo("chat.postMessage").length === 1, "help answer");
    const help = slack.callsTo("chat.postMessage")[0].params;
    expect(help.channel).toBe("D0DM");
    expect(JSON.stringify(help.blocks)).toContain("/spot mode shadow|approve");
    await dm("/spot status");
    await slack.waitFor(() => slack.callsTo("chat.postMessage").length === 2, "status answer");
    expect(String(slack.callsTo("chat.postMessage")[1].params.text)).toContain("spotwise status:");
    await dm("help", { bot_id: "BBOT", user: "UBOT" });
    await dm("help", { subtype: "message_changed" });
    await h.bot.idle();
    expect(slack.callsTo("chat.postMessage")).toHaveLength(2);
  });
});

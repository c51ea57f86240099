import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeServices } from "../../test/bot/fake-services.js";
import { FAST_LIMITS, FakeSlack } from "../../test/bot/fake-slack.js";
import { MemoryCacheStore, MemoryIdempotencyStore } from "../adapters/kv/memory.js";
import { createLogger } from "../adapters/log/logger.js";
import { ConsoleNotifier } from "../adapters/slack/console-notifier.js";
import { notifierFromConfig } from "../adapters/slack/index.js";
import { SlackNotifier } from "../adapters/slack/notifier.js";
import { loadConfig } from "../config/load.js";
import { MemoryAuditLog } from "../core/ports/audit.js";
import { systemClock } from "../core/ports/clock.js";
import { createBotApp } from "./app.js";
import { botConfigFromConfig } from "./config.js";

describe("createBotApp startup modes and config", () => {
  const slack = new FakeSlack(FAST_LIMITS);
  beforeAll(() => slack.start());
  afterAll(() => slack.stop());

  const deps = (env: Record<string, string>) => {
    const config = botConfigFromConfig(loadConfig({ SLACK_API_URL: slack.apiUrl, ...env }, () => ""));
    if (!config) throw new Error("no bot config");
    const audit = new MemoryAuditLog();
    return {
      config,
      services: fakeServices({ recommendations: {} as never, audit }),
      kv: { idempotency: new MemoryIdempotencyStore(), cache: new MemoryCacheStore() },
      logger: createLogger({ level: "silent" }),
      clock: systemClock,
    };
  };

  it("uses Socket Mode when SLACK_APP_TOKEN is set (no signing secret needed) and verifies the token with auth.test", async () => {
    const bot = createBotApp(deps({ SLACK_BOT_TOKEN: "xoxb-test", SLACK_APP_TOKEN: "xapp-1-test" }));
    expect(bot.mode).toBe("socket");
    expect(bot.port()).toBeUndefined();
    await slack.waitFor(() => slack.callsTo("auth.test").length > 0, "auth.test");
    expect(slack.callsTo("auth.test")[0].token).toBe("xoxb-test");
  });

  it("uses HTTP on PORT otherwise, and reads every Slack variable", async () => {
    const env = {
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_SIGNING_SECRET: "s3cret",
      PORT: "0",
      SLACK_CHANNEL: "C0RECS",
      SLACK_APPROVERS: "U1, U2",
      SLACK_APPROVER_GROUP: "S1",
    };
    const d = deps(env);
    expect(d.config).toMatchObject({
      signingSecret: "s3cret",
      port: 0,
      channel: "C0RECS",
      approvers: ["U1", "U2"],
      approverGroup: "S1",
      apiUrl: slack.apiUrl,
      twoPersonAccounts: [],
    });
    const bot = createBotApp(d);
    expect(bot.mode).toBe("http");
    await bot.start(0);
    try {
      expect((await fetch(`http://127.0.0.1:${bot.port()}/healthz`)).status).toBe(200);
    } finally {
      await bot.stop();
    }
  });

  it("without a bot token there is no bot and the console notifier is the default", () => {
    const config = loadConfig({}, () => "");
    expect(botConfigFromConfig(config)).toBeNull();
    expect(notifierFromConfig(config)).toBeInstanceOf(ConsoleNotifier);
    const slackCfg = loadConfig(
      { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s", SLACK_CHANNEL: "C1" },
      () => "",
    );
    expect(notifierFromConfig(slackCfg)).toBeInstanceOf(SlackNotifier);
    const noChannel = loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" }, () => "");
    expect(() => notifierFromConfig(noChannel)).toThrow(/SLACK_CHANNEL is required/);
  });

  it("takes the two-person rule from the accounts in the config file", () => {
    const yaml =
      "accounts:\n  - id: '123456789012'\n    regions: [us-east-1]\n    twoPersonRule: true\n  - id: '210987654321'\n    regions: [eu-west-1]\n";
    const config = loadConfig(
      { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s", SPOTWISE_CONFIG: "/x.yaml" },
      () => yaml,
    );
    expect(botConfigFromConfig(config)?.twoPersonAccounts).toEqual(["123456789012"]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST_LIMITS, FakeSlack } from "../../test/bot/fake-slack.js";
import { type Harness, SECRET, startHarness } from "../../test/bot/harness.js";
import { commandBody, postSigned } from "../../test/bot/signed.js";
import { testDatabase } from "../../test/support/services.js";
import type { Database } from "../adapters/db/orm.js";

describe("request verification at the real Bolt receiver", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack(FAST_LIMITS);
  let h: Harness;

  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
    h = await startHarness({ db, slack });
  });
  afterAll(async () => {
    await h.stop();
    await slack.stop();
    await db.dispose();
  });

  const body = () => commandBody({ text: "help", userId: "U1", responseUrl: `${slack.base}/response/verify` });
  const now = () => Math.floor(Date.now() / 1000);

  it("accepts a validly signed slash command and answers it", async () => {
    const res = await postSigned(h.port, body(), { secret: SECRET });
    expect(res.status).toBe(200);
    await slack.waitFor(() => slack.responses.some((r) => r.path === "/response/verify"));
  });

  it.each([
    ["unsigned", { signature: null }],
    ["signed with the wrong secret", { secret: "not-the-secret" }],
    ["stale (6 minutes old)", { timestampSec: now() - 360 }],
    ["from the future (6 minutes ahead)", { timestampSec: now() + 360 }],
    ["with a garbage signature", { signature: "v0=deadbeef" }],
  ])("refuses a request %s with 401 and never runs a handler", async (_name, o) => {
    const before = slack.responses.length;
    const res = await postSigned(h.port, body(), { secret: SECRET, ...o });
    expect(res.status).toBe(401);
    expect(slack.responses.length).toBe(before);
  });

  it("refuses a replayed request (same signature) even inside the time window", async () => {
    const b = commandBody({ text: "status", userId: "U1", responseUrl: `${slack.base}/response/replay` });
    const ts = now();
    expect((await postSigned(h.port, b, { secret: SECRET, timestampSec: ts })).status).toBe(200);
    const replay = await postSigned(h.port, b, { secret: SECRET, timestampSec: ts, retryNum: 1 });
    expect(replay).toEqual({ status: 401, text: "request refused: replayed" });
  });

  it("answers Slack's unsigned ssl_check probe with 200 without running anything", async () => {
    const before = slack.responses.length;
    const res = await postSigned(h.port, "ssl_check=1&token=legacy", { secret: SECRET, signature: null });
    expect(res.status).toBe(200);
    const sneaky = await postSigned(h.port, `ssl_check=1&${body()}`, { secret: SECRET, signature: null });
    expect(sneaky.status).toBe(401);
    expect(slack.responses.length).toBe(before);
  });

  it("answers health checks and refuses other paths", async () => {
    expect((await fetch(`http://127.0.0.1:${h.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${h.port}/other`, { method: "POST" })).status).toBe(404);
  });
});

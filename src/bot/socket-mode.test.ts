import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeServices } from "../../test/bot/fake-services.js";
import { FAST_LIMITS, FakeSlack } from "../../test/bot/fake-slack.js";
import { FakeSocketMode } from "../../test/bot/fake-socket.js";
import { buttonPayload } from "../../test/bot/signed.js";
import { switchDecision } from "../../test/core/recommendation-fixtures.js";
import { testDatabase } from "../../test/support/services.js";
import type { Database } from "../adapters/db/orm.js";
import { DbRecommendationRepo } from "../adapters/db/recommendation-repo.js";
import { MemoryCacheStore, MemoryIdempotencyStore } from "../adapters/kv/memory.js";
import { createLogger } from "../adapters/log/logger.js";
import { MemoryAuditLog } from "../core/ports/audit.js";
import { systemClock } from "../core/ports/clock.js";
import { RecommendationService } from "../core/recommendations/service.js";
import { createBotApp } from "./app.js";
import { ACTION_APPROVE } from "./views/recommendation.js";

describe("Socket Mode (SLACK_APP_TOKEN)", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack(FAST_LIMITS);
  const socket = new FakeSocketMode();
  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
    await socket.start();
    slack.socketUrl = socket.url;
  });
  afterAll(async () => {
    await socket.stop();
    await slack.stop();
    await db.dispose();
  });

  it("connects with the app token, acks an Approve envelope and runs the switch once, even if redelivered", async () => {
    const audit = new MemoryAuditLog();
    const recs = new RecommendationService({
      repo: new DbRecommendationRepo(db),
      audit,
      clock: systemClock,
      ttlMs: 3600_000,
    });
    const services = fakeServices({ recommendations: recs, audit });
    const bot = createBotApp({
      services,
      config: {
        botToken: "xoxb-test",
        appToken: "xapp-1-test",
        port: 0,
        apiUrl: slack.apiUrl,
        approvers: ["UAPPROVER"],
        twoPersonAccounts: [],
        maxModelBytes: 1024,
      },
      kv: { idempotency: new MemoryIdempotencyStore(), cache: new MemoryCacheStore() },
      logger: createLogger({ level: "silent" }),
      clock: systemClock,
      apiRetries: 0,
    });
    expect(bot.mode).toBe("socket");
    await bot.start();
    try {
      await socket.ready;
      expect(slack.callsTo("apps.connections.open")[0].token).toBe("xapp-1-test");
      const created = await recs.create({ decision: switchDecision("i-socket"), mode: "approve" });
      if (created.kind !== "created") throw new Error(created.kind);
      const payload = buttonPayload({
        actionId: ACTION_APPROVE,
        value: created.rec.id,
        userId: "UAPPROVER",
        actionTs: "5.1",
      });
      for (const [envelope, retry] of [
        ["env-1", 0],
        ["env-2", 1],
      ] as const) {
        socket.send({
          envelope_id: envelope,
          type: "interactive",
          payload,
          accepts_response_payload: false,
          retry_attempt: retry,
          retry_reason: retry ? "timeout" : "",
        });
      }
      await slack.waitFor(() => socket.acks.length === 2, "two envelope acks");
      expect(socket.acks.map((a) => a.envelope_id)).toEqual(["env-1", "env-2"]);
      await bot.idle();
      expect(services.log.switches).toEqual([{ recommendationId: created.rec.id, approver: "UAPPROVER" }]);
      expect((await recs.get(created.rec.id))?.status).toBe("done");
    } finally {
      await bot.stop(1000);
    }
  });
});

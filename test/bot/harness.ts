/** A running bot for tests: real Bolt app over HTTP, real recommendation service, fake Slack API and fake services. */

import type { Database } from "../../src/adapters/db/orm.js";
import { DbRecommendationRepo } from "../../src/adapters/db/recommendation-repo.js";
import { MemoryCacheStore, MemoryIdempotencyStore } from "../../src/adapters/kv/memory.js";
import { createLogger } from "../../src/adapters/log/logger.js";
import { SlackNotifier } from "../../src/adapters/slack/notifier.js";
import { type BotApp, createBotApp } from "../../src/bot/app.js";
import type { BotConfig } from "../../src/bot/context.js";
import type { BotServices } from "../../src/bot/services.js";
import { MemoryAuditLog } from "../../src/core/ports/audit.js";
import { ManualClock, systemClock } from "../../src/core/ports/clock.js";
import type { CacheStore, IdempotencyStore } from "../../src/core/ports/kv.js";
import type { MessageRef } from "../../src/core/ports/notifier.js";
import { RecommendationService } from "../../src/core/recommendations/service.js";
import type { Decision } from "../../src/core/types.js";
import { switchDecision } from "../core/recommendation-fixtures.js";
import { type FakeServicesOptions, fakeServices } from "./fake-services.js";
import { type FakeSlack, writeQueueFor } from "./fake-slack.js";
import { buttonPayload, commandBody, interactionBody, postSigned } from "./signed.js";

export const SECRET = "test-signing-secret";

export interface HarnessOptions {
  db: Database;
  slack: FakeSlack;
  config?: Partial<BotConfig>;
  saga?: FakeServicesOptions["saga"];
  fetchFile?: BotServices["fetchFile"];
  /** Share these between harnesses to simulate replicas. */
  kv?: { idempotency: IdempotencyStore; cache: CacheStore };
  clock?: ManualClock;
  audit?: MemoryAuditLog;
  /** Replace parts of the fake services with real ones (they get the real recommendation service). */
  override?: (base: { recs: RecommendationService; clock: ManualClock }) => Partial<BotServices>;
}

export interface Harness {
  bot: BotApp;
  /** The daemon's notifier, on the bot's client and write queue. */
  notifier: SlackNotifier;
  port: number;
  services: ReturnType<typeof fakeServices>;
  recs: RecommendationService;
  clock: ManualClock;
  audit: MemoryAuditLog;
  /** Creates a recommendation and posts it through the SlackNotifier, as the daemon would. */
  recommend(decision?: Decision): Promise<{ id: string; ref: MessageRef }>;
  click(
    actionId: string,
    id: string,
    userId: string,
    extra?: { actionTs?: string; retryNum?: number; ref?: MessageRef; timestampSec?: number },
  ): Promise<number>;
  command(text: string, userId: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const clock = o.clock ?? new ManualClock(Date.now());
  const audit = o.audit ?? new MemoryAuditLog();
  const recs = new RecommendationService({ repo: new DbRecommendationRepo(o.db), audit, clock, ttlMs: 4 * 3600_000 });
  const services = fakeServices({
    recommendations: recs,
    audit,
    saga: o.saga,
    fetchFile: o.fetchFile,
    now: () => clock.now(),
  });
  Object.assign(services, o.override?.({ recs, clock }) ?? {});
  const config: BotConfig = {
    botToken: "xoxb-test",
    signingSecret: SECRET,
    port: 0,
    apiUrl: o.slack.apiUrl,
    channel: "C0RECS",
    approvers: ["UAPPROVER", "UAPPROVER2"],
    admins: ["UAPPROVER", "UADMIN"],
    twoPersonAccounts: [],
    maxModelBytes: 1024 * 1024,
    ...o.config,
  };
  const writes = writeQueueFor(o.slack.limits);
  const bot = createBotApp({
    writes,
    services,
    config,
    kv: o.kv ?? { idempotency: new MemoryIdempotencyStore(), cache: new MemoryCacheStore() },
    logger: createLogger({ level: "silent" }),
    clock: systemClock,
    apiRetries: 0,
  });
  await bot.start(0);
  const port = bot.port() ?? 0;
  // the daemon's notifier in the same process: the same write queue as the bot
  const notifier = new SlackNotifier({ client: bot.app.client, channel: "C0RECS", queue: writes });
  let seq = 0;
  return {
    bot,
    notifier,
    port,
    services,
    recs,
    clock,
    audit,
    async recommend(decision = switchDecision(`i-${Date.now().toString(36)}${++seq}`)) {
      const r = await recs.create({ decision, mode: "approve" });
      if (r.kind !== "created") throw new Error(`recommendation not created: ${r.kind}`);
      const ref = await notifier.recommend(recs.toMessage(r.rec));
      await recs.attachMessage(r.rec.id, ref);
      return { id: r.rec.id, ref };
    },
    async click(actionId, id, userId, extra = {}) {
      const payload = buttonPayload({
        actionId,
        value: id,
        userId,
        channel: extra.ref?.channel,
        messageTs: extra.ref?.ts,
        actionTs: extra.actionTs,
      });
      // Slack signs every delivery anew: a retry has a later timestamp, hence another signature.
      const timestampSec = extra.timestampSec ?? Math.floor(Date.now() / 1000) + (extra.retryNum ?? 0);
      const res = await postSigned(port, interactionBody(payload), {
        secret: SECRET,
        retryNum: extra.retryNum,
        timestampSec,
      });
      return res.status;
    },
    async command(text, userId) {
      const path = `/response/${++seq}`;
      const res = await postSigned(port, commandBody({ text, userId, responseUrl: `${o.slack.base}${path}` }), {
        secret: SECRET,
      });
      if (res.status !== 200) throw new Error(`/spot ${text}: HTTP ${res.status}`);
      await o.slack.waitFor(() => o.slack.responses.some((r) => r.path === path), `response to /spot ${text}`);
      return o.slack.responses.find((r) => r.path === path)?.body ?? {};
    },
    async stop() {
      await bot.stop();
    },
  };
}

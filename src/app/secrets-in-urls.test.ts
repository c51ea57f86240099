/**
 * Every URL form that carries a secret (user:password, :password without a user, ?password= in the query) is
 * masked wherever spotwise prints or logs it: `config check`, a start that fails on it, the logs, and the
 * health details `/spot status` shows.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlack } from "../../test/bot/fake-slack.js";
import { type Harness, startHarness } from "../../test/bot/harness.js";
import { SECRET_URL_FORMS } from "../../test/support/secret-urls.js";
import { testDatabase } from "../../test/support/services.js";
import { type Database, describeDatabaseUrl } from "../adapters/db/orm.js";
import { healthOps } from "../bot/wiring.js";
import { memoryIo } from "../cli/io.js";
import { runCli } from "../cli/program.js";
import { HealthService, MemoryHealthStore } from "../core/health/health.js";
import { systemClock } from "../core/ports/clock.js";
import { probe } from "./service.js";

const isRedis = (url: string) => url.startsWith("redis");
const variable = (url: string) => (isRedis(url) ? "REDIS_URL" : "DATABASE_URL");
/** The same URL pointed at a port nothing listens on. */
const unreachable = (url: string) =>
  url.replace(/@[^/?]+/, "@127.0.0.1:1").replace(/^(postgres:\/\/)db\//, "$1127.0.0.1:1/");

describe.each(SECRET_URL_FORMS)("$url", ({ url, secret }) => {
  it("is masked by config check", async () => {
    const io = memoryIo({ [variable(url)]: url });
    expect(await runCli(["config", "check"], io)).toBe(0);
    const out = io.out.join("\n");
    expect(out).toContain("****");
    expect(out).not.toContain(secret);
  });

  it("is masked in the line a failed start prints", async () => {
    const target = unreachable(url);
    expect(target).toContain("127.0.0.1:1");
    const io = memoryIo({
      [variable(url)]: target,
      DATABASE_URL: isRedis(url) ? "pglite://memory" : target,
      PORT: "0",
      LOG_LEVEL: "silent",
    });
    expect(await runCli(["daemon"], io)).toBe(1);
    const err = io.err.join("\n");
    expect(err).toMatch(/^spotwise: cannot (reach Redis|open the database)/);
    expect(err).toContain("****");
    expect(err).not.toContain(secret);
  });
});

describe("/spot status", () => {
  let db: Database & { dispose(): Promise<void> };
  const slack = new FakeSlack();
  let h: Harness;
  const health = new HealthService(new MemoryHealthStore(), systemClock);

  beforeAll(async () => {
    db = await testDatabase();
    await slack.start();
    h = await startHarness({ db, slack, override: () => ({ health: healthOps(health) }) });
  });
  afterAll(async () => {
    await h.stop();
    await slack.stop();
    await db.dispose();
  });

  it.each(SECRET_URL_FORMS)("shows $url masked", async ({ url, secret }) => {
    if (isRedis(url)) {
      // what reaches health about Redis is the error of a failed ping
      const redis = { ping: async () => Promise.reject(new Error(`cannot connect to ${url}`)) } as unknown as Redis;
      await probe({
        db: { ping: async () => {}, describe: "pglite (in memory)" } as unknown as Database,
        redis,
        health,
      });
    } else {
      await health.ok("database", describeDatabaseUrl(url));
    }
    const r = await h.command("status", "U1");
    const text = String(r.text) + JSON.stringify(r.blocks ?? []);
    expect(text).toContain(isRedis(url) ? "*redis* down" : "*database* ok");
    expect(text).not.toContain(secret);
  });
});

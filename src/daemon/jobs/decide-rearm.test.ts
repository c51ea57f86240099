/**
 * Unchanged advice is renewed without a message: the decide tick re-arms the expiry of every standing
 * recommendation near its expiry in one bulk write (RecommendationService.rearm) instead of re-offering each one
 * (a handful of queries per instance: 4,500 instances took 20 s every four hours in the decide bench). Over a day
 * of 15-minute ticks on a flat market, one post, no update, and the advice never expires.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { createLogger } from "../../adapters/log/logger.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import { ConsoleNotifier } from "../../adapters/slack/console-notifier.js";
import { simCloudPorts } from "../../app/cloud.js";
import { buildContainer, type Container } from "../../app/container.js";
import { CountingNotifier } from "../../app/counting-notifier.js";
import { openInfra } from "../../app/infra.js";
import { loadConfig } from "../../config/load.js";
import type { Config } from "../../config/schema.js";
import { ManualClock } from "../../core/ports/clock.js";
import type { PriceRecord } from "../../core/types.js";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 2);
const quiet = () => createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** A flat market: m5.large at $0.090/h in us-east-1a, $0.035/h in us-east-1b, a record every 6 h for 10 days. */
function flatPrices(): PriceRecord[] {
  const out: PriceRecord[] = [];
  for (let t = START - 10 * 24 * HOUR; t <= START + 2 * 24 * HOUR; t += 6 * HOUR) {
    out.push({ ts: t, region: "us-east-1", az: "us-east-1a", instanceType: "m5.large", price: 0.09 });
    out.push({ ts: t, region: "us-east-1", az: "us-east-1b", instanceType: "m5.large", price: 0.035 });
  }
  return out;
}

describe(`decide tick: unchanged advice is re-armed in bulk (${backendLabel()})`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let c: Container;
  let clock: ManualClock;
  const notifier = new CountingNotifier(new ConsoleNotifier({ write: () => {} }));

  beforeAll(async () => {
    db = await testDatabase();
    clock = new ManualClock(START);
    const cloud = new SimCloud({ clock, prices: flatPrices() });
    cloud.seedInstance({
      instanceId: "i-0rearm",
      accountId: "sim",
      region: "us-east-1",
      az: "us-east-1a",
      instanceType: "m5.large",
      lifecycle: "spot",
      launchedAt: START - 20 * 24 * HOUR,
      tags: { "spotwise:managed": "true", "spotwise:az-flexible": "true" },
    });
    const base = loadConfig({});
    const config: Config = {
      ...base,
      env: { ...base.env, SPOTWISE_MODE: "shadow" },
      file: {
        ...base.file,
        accounts: [
          {
            id: "sim",
            name: "test",
            regions: ["us-east-1"],
            subnets: { "us-east-1a": "subnet-a", "us-east-1b": "subnet-b" },
            twoPersonRule: false,
          },
        ],
      },
    };
    const infra = await openInfra(config, { clock, log: quiet(), db });
    c = await buildContainer(infra, { cloud: simCloudPorts(cloud), notifier });
  });
  afterAll(async () => {
    await c?.close();
    await c?.infra.close();
    await db?.dispose();
  });

  it("a day of ticks: one post, no message update, expiry re-armed before it runs out, never expired", async () => {
    const ttl = c.infra.config.file.switch.approvalTtlMinutes * 60_000;
    let rearmed = 0;
    let refreshed = 0;
    let firstExpiry: number | null = null;
    let standing = 0;
    for (let t = START; t <= START + 24 * HOUR; t += 15 * 60_000) {
      clock.set(t);
      await c.jobRunner.run(c.jobs.scrape, t);
      const stats = (await c.jobs.decide.tick(t)) as {
        rearmed?: number;
        refreshed?: number;
        standing?: number;
        recommendations?: number;
        switch?: number;
        ms?: Record<string, number>;
      };
      expect(stats.switch).toBe(1);
      // each tick's advice is posted, refreshed, re-armed or left standing: one of them
      expect((stats.recommendations ?? 0) + (stats.refreshed ?? 0) + (stats.rearmed ?? 0) + (stats.standing ?? 0)).toBe(
        1,
      );
      // where the tick's time went, phase by phase, in its stats (logged and recorded)
      expect(Object.keys(stats.ms ?? {})).toEqual(["discover", "inputs", "score", "decide", "plan", "save", "publish"]);
      expect(Object.values(stats.ms ?? {}).every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
      rearmed += stats.rearmed ?? 0;
      refreshed += stats.refreshed ?? 0;
      standing += stats.standing ?? 0;
      const [rec] = await c.recommendations.list({ statuses: ["pending"] });
      expect(rec, `a pending recommendation at ${new Date(t).toISOString()}`).toBeDefined();
      firstExpiry ??= rec.expiresAt;
      // renewed within the hour before it runs out, never later
      expect(rec.expiresAt).toBeGreaterThan(t + 59 * 60_000);
      await c.publisher.expireDue();
    }
    // 24 h / (240 min TTL − re-armed in its last hour) → renewed every 3 h: at least 7 times
    expect(ttl).toBe(240 * 60_000);
    expect(rearmed).toBeGreaterThanOrEqual(7);
    expect(refreshed).toBe(0);
    expect(standing).toBeGreaterThan(80);
    expect(notifier.recommendations).toBe(1);
    expect(notifier.counts.updates).toBe(0);
    const all = await c.recommendations.list({});
    expect(all.map((r) => r.status)).toEqual(["pending"]);
    expect(all[0].expiresAt).toBeGreaterThan(firstExpiry ?? 0);
  });
});

import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { createLogger } from "../../adapters/log/logger.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import { ConsoleNotifier } from "../../adapters/slack/console-notifier.js";
import { BUNDLED, bundledPath } from "../../adapters/tables/index.js";
import { simCloudPorts } from "../../app/cloud.js";
import { buildContainer, type Container } from "../../app/container.js";
import { demoFleet } from "../../app/demo.js";
import { openInfra } from "../../app/infra.js";
import { riskSourceLine } from "../../bot/views/recommendation.js";
import { loadConfig } from "../../config/load.js";
import type { Config } from "../../config/schema.js";
import { parsePriceFile } from "../../core/market/import.js";
import { ManualClock } from "../../core/ports/clock.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import { type PriceRecord, poolId } from "../../core/types.js";
import { ScrapeJob } from "./scrape.js";

const HOUR = 3_600_000;
const quiet = () => createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });

describe(`daemon jobs on the simulated cloud (${backendLabel()})`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let c: Container;
  let cloud: SimCloud;
  let clock: ManualClock;
  let start: number;
  const out: string[] = [];

  beforeAll(async () => {
    db = await testDatabase();
    const file = bundledPath(BUNDLED.demoPrices);
    const prices: PriceRecord[] = parsePriceFile(await readFile(file, "utf8"), file).records;
    start = Math.ceil((prices[0].ts + 6 * 24 * HOUR) / HOUR) * HOUR;
    clock = new ManualClock(start);
    cloud = new SimCloud({ clock, prices });
    const fleet = demoFleet(prices, start, 3);
    for (const [n, f] of fleet.entries()) {
      cloud.seedInstance({
        instanceId: `i-test${n}`,
        accountId: "sim",
        ...f,
        lifecycle: "spot",
        launchedAt: start - 10 * 24 * HOUR,
        tags: { "spotwise:managed": "true", "spotwise:az-flexible": "true" },
      });
    }
    const regions = [...new Set(fleet.map((f) => f.region))];
    const azs = [...new Set(prices.map((p) => p.az))];
    const base = loadConfig({});
    const config: Config = {
      ...base,
      env: { ...base.env, SPOTWISE_MODE: "approve" },
      file: {
        ...base.file,
        accounts: [
          {
            id: "sim",
            name: "test",
            regions,
            subnets: Object.fromEntries(azs.map((a) => [a, `subnet-${a}`])),
            twoPersonRule: false,
          },
        ],
      },
    };
    const infra = await openInfra(config, { clock, log: quiet(), db });
    c = await buildContainer(infra, {
      cloud: simCloudPorts(cloud),
      notifier: new ConsoleNotifier({ write: (t) => out.push(t) }),
    });
  });
  afterAll(async () => {
    await c?.close();
    await c?.infra.close();
    await db?.dispose();
  });

  it("scrapes the replayed market incrementally into the store", async () => {
    const first = await c.jobs.scrape.tick(clock.now());
    expect(first.stored).toBeGreaterThan(0);
    expect(first.failed).toBe(0);
    expect((await c.market.listPools()).length).toBeGreaterThan(5);
    clock.advance(HOUR);
    const second = await c.jobs.scrape.tick(clock.now());
    expect(second.apiCalls).toBeLessThanOrEqual(first.apiCalls as number);
  });

  it("decides per instance, persists every decision with reasons and posts each SWITCH once", async () => {
    const stats = await c.jobs.decide.tick(clock.now());
    expect(stats.instances).toBe(3);
    const decisions = c.jobs.decide.last?.decisions ?? [];
    expect(decisions).toHaveLength(3);
    expect(decisions.every((d) => d.reasons.length > 0)).toBe(true);
    expect(decisions.some((d) => d.action === "SWITCH")).toBe(true);
    // the shipped champion is there but spotwise has observed none of these pools yet: the risk source says
    // that, not "no usable model"
    for (const d of decisions.filter((x) => x.action === "SWITCH")) {
      expect(riskSourceLine(d)).toMatch(
        /^Spot Advisor bucket, model not applicable: model \S+ scores only pools spotwise has observed, none of these yet$/,
      );
    }
    const stored = await c.infra.decisions.list({ since: clock.now() });
    expect(stored).toHaveLength(3);
    const pending = await c.recommendations.list({ statuses: ["pending"] });
    expect(pending.length).toBe(decisions.filter((d) => d.action === "SWITCH").length);
    expect(out.some((t) => t.includes("== Switch i-test"))).toBe(true);
    // each posted advice names what its switch cannot carry over (the saga's plan, made when it was posted)
    const posted = out.filter((t) => t.includes("== Switch i-test"));
    for (const t of posted) expect(t).toMatch(/a switch does not carry over: .*primary private IP/);
    // the same decision next tick keeps its recommendation instead of posting a duplicate
    const firstIds = c.jobs.decide.last?.ids ?? [];
    clock.advance(HOUR);
    await c.jobs.decide.tick(clock.now());
    expect((await c.recommendations.list({ statuses: ["pending"] })).map((r) => r.id).sort()).toEqual(
      pending.map((r) => r.id).sort(),
    );
    // decisions are kept as changes: only those whose action, target or strategy changed got a row
    const again = c.jobs.decide.last?.decisions ?? [];
    const key = (d: (typeof again)[number]) => `${d.instanceId} ${d.action} ${d.to ? poolId(d.to) : "-"} ${d.strategy}`;
    const changed = again.filter((d, i) => key(d) !== key(decisions[i])).length;
    expect(await c.infra.decisions.list({})).toHaveLength(3 + changed);
    again.forEach((d, i) => {
      if (key(d) === key(decisions[i])) expect(c.jobs.decide.last?.ids[i]).toBe(firstIds[i]);
    });
    const ticks = await c.infra.decisions.ticks({});
    expect(ticks).toHaveLength(2);
    const switches = again.filter((d) => d.action === "SWITCH");
    expect(ticks[0]).toMatchObject({ instances: 3, written: changed });
    expect(ticks[0].byAction.SWITCH ?? 0).toBe(switches.length);
    expect(ticks[0].savingPerHour).toBeCloseTo(
      switches.reduce((s, d) => s + d.savingPerHour, 0),
      9,
    );
    // nothing was executed: decide never switches by itself
    expect(cloud.callsOf("runInstances")).toHaveLength(0);
  });

  it("records nothing and decides nothing while paused", async () => {
    await c.control.pause("test", "maintenance");
    expect(await c.jobs.decide.tick(clock.now())).toMatchObject({ paused: true });
    await c.control.resume("test");
  });

  it("labels the realized saving of a recommendation a day later and expires stale ones", async () => {
    const switches = (await c.infra.decisions.list({ action: "SWITCH" })).length;
    clock.advance(25 * HOUR);
    await c.jobs.scrape.tick(clock.now());
    const label = await c.jobs.label.tick(clock.now());
    expect(label.realized).toBe(switches);
    const realized = await c.infra.decisions.list({ action: "SWITCH" });
    expect(realized.every((d) => d.realizedSavingUsd !== null)).toBe(true);
    const cleanup = await c.jobs.cleanup.tick(clock.now());
    expect(cleanup.expiredRecommendations).toBeGreaterThan(0);
    expect(await c.recommendations.list({ statuses: ["pending"] })).toHaveLength(0);
  });

  it("posts a digest with yesterday's decisions and the 30-day series", async () => {
    await c.jobs.digest.tick(clock.now());
    const digest = c.jobs.digest.last;
    expect(digest?.series).toHaveLength(30);
    expect(Object.values(digest?.decisions ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(out.some((t) => t.includes("daily digest"))).toBe(true);
  });

  it("turns interruption warnings from the spot event queue into capacity losses of the instance's pool", async () => {
    const inst = (await c.infra.fleet.list())[0];
    const messages = [
      {
        handle: "h1",
        body: JSON.stringify({
          "detail-type": "EC2 Spot Instance Interruption Warning",
          source: "aws.ec2",
          account: "123456789012",
          time: new Date(clock.now()).toISOString(),
          region: inst.region,
          detail: { "instance-id": inst.instanceId, "instance-action": "terminate" },
        }),
      },
    ];
    const acked: string[] = [];
    const queue = {
      receive: async () => messages.splice(0),
      ack: async (h: string[]) => {
        acked.push(...h);
      },
    };
    const job = new ScrapeJob({ ...Reflect.get(c.jobs.scrape, "d"), spotEvents: { queue, store: c.market } });
    const stats = await job.tick(clock.now());
    expect(stats).toMatchObject({ spotEvents: 1, capacityPoints: 1 });
    expect(acked).toEqual(["h1"]);
    const pool = `${inst.region}/${inst.az}/${inst.instanceType}`;
    expect((await c.market.readCapacity([pool], 0)).get(pool)?.at(-1)?.available).toBe(0);
  });

  it("records a tick as failed with the reason when the market store is down, and keeps going", async () => {
    const broken: MarketStore = new Proxy(c.market, {
      get(target, prop) {
        if (prop === "listPools" || prop === "readPrices") {
          return async () => {
            throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
          };
        }
        return Reflect.get(target, prop);
      },
    });
    const decide = Object.create(c.jobs.decide, {
      d: { value: { ...Reflect.get(c.jobs.decide, "d"), market: broken } },
    });
    const rec = await c.jobRunner.run(decide, clock.now());
    expect(rec).toMatchObject({ status: "failed", error: expect.stringMatching(/ECONNREFUSED/) });
    expect(cloud.callsOf("runInstances")).toHaveLength(0);
    expect((await c.jobRunner.run(c.jobs.scrape, clock.now())).status).toBe("ok");
  });

  it("in shadow mode advice takes no share of the fleet disruption budget; in approve mode it holds the slot", async () => {
    // 3 instances, budget 10 %: one switch at a time
    clock.advance(HOUR);
    await c.control.setMode("shadow", "U-test");
    await c.jobs.decide.tick(clock.now());
    const shadow = c.jobs.decide.last?.decisions ?? [];
    const advised = shadow.filter((d) => d.action === "SWITCH");
    expect(advised.length).toBeGreaterThan(1);
    expect(shadow.some((d) => d.reasons.some((r) => r.startsWith("fleet disruption budget")))).toBe(false);

    clock.advance(HOUR);
    await c.control.setMode(null, "U-test"); // back to the operator's SPOTWISE_MODE=approve
    expect((await c.control.mode()).mode).toBe("approve");
    await c.jobs.decide.tick(clock.now());
    const approve = c.jobs.decide.last?.decisions ?? [];
    expect(approve.filter((d) => d.action === "SWITCH")).toHaveLength(1);
    expect(approve.filter((d) => d.strategy === "fleet-budget")).toHaveLength(advised.length - 1);
  });

  it("advice for an instance with a data volume stays in its AZ and says the volume is moved; a spot one is not switchable", async () => {
    await c.control.setMode("shadow", "U-test");
    const advised = (c.jobs.decide.last?.decisions ?? []).find((d) => d.action === "SWITCH");
    if (!advised) throw new Error("fixture: expected a SWITCH advice to copy");
    const src = cloud.instances.get(advised.instanceId);
    if (!src) throw new Error("fixture: instance gone");
    // both where the advice pointed: a cheap spot pool is in their AZ
    const az = advised.to?.az ?? src.az;
    const seed = (instanceId: string, lifecycle: "spot" | "on-demand") =>
      cloud.seedInstance(
        {
          instanceId,
          accountId: "sim",
          region: src.region,
          az,
          instanceType: src.instanceType,
          subnetId: `subnet-${az}`,
          lifecycle,
          launchedAt: clock.now() - 10 * 24 * HOUR,
          tags: { "spotwise:managed": "true", "spotwise:az-flexible": "true" },
        },
        { dataVolumes: [{ deviceName: "/dev/sdf", deleteOnTermination: false }] },
      );
    seed("i-testdata-od", "on-demand");
    seed("i-testdata-spot", "spot");
    // stop protection: the move would need a stop the saga's preflight refuses, so it is not advised either
    seed("i-testdata-noStop", "on-demand").disableApiStop = true;
    clock.advance(HOUR);
    await c.jobs.decide.tick(clock.now());
    const all = c.jobs.decide.last?.decisions ?? [];
    // on-demand: advised the spot pool of its own AZ, saying the volume moves
    const od = all.find((x) => x.instanceId === "i-testdata-od");
    expect(od?.action).toBe("SWITCH");
    expect(od?.to).toMatchObject({ az, instanceType: src.instanceType });
    expect(od?.reasons).toContainEqual(
      expect.stringMatching(/^data volumes moved: vol-\S+ at \/dev\/sdf \(instance stopped during the move\)$/),
    );
    // spot: EC2 cannot stop it for the move, so it is not advised at all
    const spot = all.find((x) => x.instanceId === "i-testdata-spot");
    expect(spot).toMatchObject({ action: "STAY", strategy: "not-switchable" });
    expect(spot?.reasons[0]).toMatch(/^not switchable: .*EC2 cannot stop a one-time Spot Instance/);
    const noStop = all.find((x) => x.instanceId === "i-testdata-noStop");
    expect(noStop).toMatchObject({ action: "STAY", strategy: "not-switchable", to: null, priceSavingPerMonth: 0 });
    expect(noStop?.reasons[0]).toMatch(/^not switchable now: .*stop protection/i);
    expect(c.jobs.decide.last?.decisions.filter((x) => x.strategy === "not-switchable")).toHaveLength(2);
    expect(out.join("\n")).not.toContain("== Switch i-testdata-noStop");
    await c.control.setMode(null, "U-test");
  });
});

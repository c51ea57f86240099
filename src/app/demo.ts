/**
 * `spotwise demo`: the whole loop on the bundled real GPU spot market (2019-12 .. 2020-01, MIT), replayed
 * through the real jobs on an accelerated clock, with a simulated fleet on the simulated cloud, PGlite in
 * memory, in-process stores, the shipped model and the console notifier. With approve=all every
 * recommendation is approved and runs through the real switch saga on the simulated cloud.
 */
import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { createLogger } from "../adapters/log/logger.js";
import { SimCloud } from "../adapters/sim/cloud.js";
import { ConsoleNotifier } from "../adapters/slack/console-notifier.js";
import { BUNDLED, bundledPath } from "../adapters/tables/index.js";
import type { Config } from "../config/schema.js";
import { parsePriceFile } from "../core/market/import.js";
import { ManualClock } from "../core/ports/clock.js";
import type { PriceRecord } from "../core/types.js";
import { simCloudPorts } from "./cloud.js";
import { buildContainer } from "./container.js";
import { openInfra } from "./infra.js";

const HOUR = 3_600_000;

export interface DemoOptions {
  days: number;
  instances: number;
  approve: "all" | "none";
  /** Where the console notifier writes (nothing in --json mode). */
  write: (text: string) => void;
  /** Base configuration (its policy and switch settings apply; stores are forced to the embedded ones). */
  config: Config;
}

export interface DemoSummary {
  market: string;
  from: string;
  to: string;
  instances: number;
  decisions: Record<string, number>;
  recommendations: number;
  switches: { done: number; rolled_back: number; failed: number };
  digest: { day: string; realizedSavingsUsd: number; counterfactualSavingsUsd: number } | null;
  model: string | null;
}

/** Fleet placement: types with the widest price spread across AZs at `t`; most instances start in the dearest AZ. */
export function demoFleet(
  prices: PriceRecord[],
  t: number,
  n: number,
): Array<{ region: string; az: string; instanceType: string }> {
  const now = new Map<string, PriceRecord>();
  for (const r of prices) if (r.ts <= t) now.set(`${r.region}/${r.az}/${r.instanceType}`, r);
  const byType = new Map<string, PriceRecord[]>();
  for (const r of now.values()) {
    const k = `${r.region}/${r.instanceType}`;
    byType.set(k, [...(byType.get(k) ?? []), r]);
  }
  const spread = [...byType.values()]
    .filter((rs) => rs.length >= 2)
    .map((rs) => rs.sort((a, b) => a.price - b.price || a.az.localeCompare(b.az)))
    .sort(
      (a, b) =>
        b[b.length - 1].price / b[0].price - a[a.length - 1].price / a[0].price ||
        a[0].region.localeCompare(b[0].region),
    );
  const out: Array<{ region: string; az: string; instanceType: string }> = [];
  for (let i = 0; i < n && spread.length > 0; i++) {
    const rs = spread[i % spread.length];
    // two in three start in the dearest AZ (a SWITCH is due); the rest already sit in the cheapest (STAY)
    const pick = i % 3 === 2 ? rs[0] : rs[rs.length - 1];
    out.push({ region: pick.region, az: pick.az, instanceType: pick.instanceType });
  }
  return out;
}

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const file = bundledPath(BUNDLED.demoPrices);
  const prices = parsePriceFile(await readFile(file, "utf8"), file).records;
  const first = prices[0].ts;
  const last = prices[prices.length - 1].ts;
  // the collection starts pool by pool over its first days: begin once every region has reported
  const start = Math.ceil((first + 6 * 24 * HOUR) / HOUR) * HOUR;
  const end = Math.min(start + opts.days * 24 * HOUR, last);
  const clock = new ManualClock(start);
  const cloud = new SimCloud({ clock, prices });
  const fleet = demoFleet(prices, start, opts.instances);
  const regions = [...new Set(fleet.map((f) => f.region))].sort();
  const azs = [...new Set(prices.filter((p) => regions.includes(p.region)).map((p) => p.az))].sort();
  fleet.forEach((f, n) => {
    cloud.seedInstance({
      instanceId: `i-demo${String(n + 1).padStart(4, "0")}`,
      accountId: "sim",
      region: f.region,
      az: f.az,
      instanceType: f.instanceType,
      lifecycle: "spot",
      launchedAt: start - 14 * 24 * HOUR,
      tags: { Name: `demo-${f.instanceType}`, "spotwise:managed": "true", "spotwise:az-flexible": "true" },
    });
  });

  const config: Config = {
    ...opts.config,
    env: {
      ...opts.config.env,
      DATABASE_URL: "pglite://memory",
      REDIS_URL: undefined,
      SLACK_BOT_TOKEN: undefined,
      SPOTWISE_MODE: opts.approve === "all" ? "approve" : "shadow",
    },
    file: {
      ...opts.config.file,
      accounts: [
        {
          id: "sim",
          name: "demo (simulated)",
          regions,
          subnets: Object.fromEntries(azs.map((az) => [az, `subnet-${az}`])),
          twoPersonRule: false,
        },
      ],
    },
  };
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const log = createLogger({
    level: config.env.LOG_LEVEL === "info" ? "silent" : config.env.LOG_LEVEL,
    destination: quiet,
  });
  const infra = await openInfra(config, { clock, log });
  const c = await buildContainer(infra, {
    cloud: simCloudPorts(cloud),
    notifier: new ConsoleNotifier({ write: opts.write }),
  });
  const bot = c.botServices();
  const decisions: Record<string, number> = {};
  const switches = { done: 0, rolled_back: 0, failed: 0 };
  let recommendations = 0;
  try {
    opts.write(
      `spotwise demo: ${fleet.length} simulated instances on the real ${regions.join(", ")} GPU spot market, ` +
        `${new Date(start).toISOString().slice(0, 16)}Z .. ${new Date(end).toISOString().slice(0, 16)}Z, ` +
        `${config.env.SPOTWISE_MODE} mode\n`,
    );
    for (let t = start; t <= end; t += HOUR) {
      clock.set(Math.max(t, clock.now()));
      await c.jobRunner.run(c.jobs.scrape, clock.now());
      if ((t - start) % (6 * HOUR) !== 0) continue;
      await c.jobRunner.run(c.jobs.decide, clock.now());
      for (const d of c.jobs.decide.last?.decisions ?? []) decisions[d.action] = (decisions[d.action] ?? 0) + 1;
      await c.jobRunner.run(c.jobs.label, clock.now());
      const pending = await c.recommendations.list({ statuses: ["pending"] });
      recommendations += pending.filter((r) => r.createdAt === clock.now()).length;
      if (opts.approve !== "all") continue;
      for (const rec of pending) {
        const approval = await c.recommendations.approve(rec.id, "U-demo-approver");
        if (approval.kind !== "approved" || !(await c.recommendations.markExecuting(rec.id))) continue;
        const ref = rec.channel && rec.messageTs ? { channel: rec.channel, ts: rec.messageTs } : null;
        const outcome = await bot
          .startSwitch(rec.id, "U-demo-approver", async (p) => {
            if (ref && p.status !== "started") await c.notifier.progress(ref, `${p.step}: ${p.detail ?? p.status}`);
          })
          .catch((e: unknown) => ({ status: "failed" as const, reason: e instanceof Error ? e.message : String(e) }));
        switches[outcome.status]++;
        await c.recommendations.finish(rec.id, outcome.status, { ...outcome });
      }
    }
    clock.set(Math.max(end + 24 * HOUR, clock.now()));
    await c.jobRunner.run(c.jobs.label, clock.now());
    await c.jobRunner.run(c.jobs.digest, clock.now());
    const digest = c.jobs.digest.last;
    const status = c.scoring.status();
    return {
      market: "prices-gpu-p2p3-6regions-2019-12-20_2020-01-31.csv (MIT, stanford-futuredata/training_on_a_dime)",
      from: new Date(start).toISOString(),
      to: new Date(end).toISOString(),
      instances: fleet.length,
      decisions,
      recommendations,
      switches,
      digest: digest
        ? {
            day: digest.day,
            realizedSavingsUsd: digest.realizedSavingsUsd,
            counterfactualSavingsUsd: digest.counterfactualSavingsUsd,
          }
        : null,
      model: status.champion ? `${status.champion.name} v${status.champion.version}` : null,
    };
  } finally {
    await c.close();
    await infra.close();
  }
}

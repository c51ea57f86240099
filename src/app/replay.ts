/**
 * `spotwise replay`: the real jobs over a recorded market. Scrape from the simulated cloud, decide at the
 * configured schedule, approve every recommendation (or none) and run the real switch saga on the simulated
 * cloud, label and digest, with PGlite in memory and in-process stores, posting through the configured
 * notifier. The fleet runs as managed instances seeded on the simulated cloud; what they paid is measured with
 * the backtest's cost semantics (src/core/backtest/model.ts) on the same window and fleet, next to stay and
 * the oracle, so the numbers compare with `spotwise backtest`.
 */
import { Writable } from "node:stream";
import { createLogger } from "../adapters/log/logger.js";
import { SimCloud, type SimInstance, type SimLatencies } from "../adapters/sim/cloud.js";
import { notifierFromConfig } from "../adapters/slack/index.js";
import { runApprovedSwitch } from "../bot/flows/switch-run.js";
import type { Config } from "../config/schema.js";
import { type BacktestPolicy, stayPolicy } from "../core/backtest/baselines.js";
import { type BacktestInstance, buildFleet, defaultFleet, type FleetSpec } from "../core/backtest/fleet.js";
import { buildPriceGrid, HOUR_MS, type PriceGrid, splitWindow } from "../core/backtest/grid.js";
import { ON_DEMAND, type Schedule, scheduleCost, simContext } from "../core/backtest/model.js";
import { oraclePolicy } from "../core/backtest/oracle.js";
import { CodedError } from "../core/errors.js";
import { TAG_AZ_FLEXIBLE, TAG_MANAGED, TAG_REPLACES } from "../core/fleet/discovery.js";
import type { AdvisorTable, Catalog, OnDemandTable } from "../core/market/tables.js";
import { ManualClock } from "../core/ports/clock.js";
import type { Notifier } from "../core/ports/notifier.js";
import { type PriceRecord, poolId } from "../core/types.js";
import { simCloudPorts } from "./cloud.js";
import { buildContainer } from "./container.js";
import { CountingNotifier, type MessageCounts } from "./counting-notifier.js";
import { openInfra } from "./infra.js";

const DAY_MS = 24 * HOUR_MS;

export interface ReplayOptions {
  prices: readonly PriceRecord[];
  /** Records in effect before the window (as `backtest --initial`). */
  initial?: readonly PriceRecord[];
  tables: { onDemand: OnDemandTable; advisor: AdvisorTable; catalog: Catalog };
  /** Default: one instance per (region, type), as the backtest's default fleet. */
  fleet?: readonly FleetSpec[];
  /** Window (clipped to the market's); records before `from` are the initial records. */
  from?: number;
  to?: number;
  approve: "all" | "none";
  config: Config;
  /** Console output (the console notifier writes here). */
  write: (text: string) => void;
  /** Notifier override (tests); default: Slack with SLACK_BOT_TOKEN, else the console. */
  notifier?: Notifier;
  /** "advisor": the decide job prices risk from the advisor prior alone (parity with `backtest --risk advisor`). */
  risk?: "spotwise" | "advisor";
  /** Simulated cloud latencies (tests use zero to make a switch complete at its decision's time). */
  latencies?: Partial<SimLatencies>;
  /** Called once per decide tick (progress for long replays). */
  onTick?: (at: number, index: number, total: number) => void;
}

export interface ReplaySummary {
  hours: number;
  instances: number;
  switches: number;
  switches_per_instance_week: number;
  cost_usd: number;
  stay_cost_usd: number;
  oracle_cost_usd: number;
  oracle_capture_pct: number;
  lost_instances: number;
  messages: MessageCounts;
}

export interface ReplayResult {
  summary: ReplaySummary;
  /** Not in --json: per managed instance (fleet order) the pool index per hour, or ON_DEMAND; -2 = lost. */
  detail: {
    start: string;
    decideEveryMinutes: number;
    instanceIds: string[];
    schedules: Schedule[];
    sagas: { done: number; rolled_back: number; failed: number };
    /** Approval rounds (per account and tick) refused before anything was spent, per reason (budget_exhausted, ...). */
    refused: Record<string, number>;
    decisions: Record<string, number>;
    recommendations: number;
    oracleSwitches: number;
    digest: { day: string; realizedSavingsUsd: number; counterfactualSavingsUsd: number } | null;
    model: string | null;
    /** Completed switches as the simulated cloud saw them: the old instance terminated at `at`, its replacement runs `to`. */
    moves: ReplayMove[];
  };
}

export interface ReplayMove {
  /** The replaced and the replacing EC2 instance. */
  oldInstanceId: string;
  newInstanceId: string;
  /** Pool ids (region/az/type). */
  from: string;
  to: string;
  at: number;
}

/** Minutes between decide ticks of a cron expression: "*\/N * * * *" → N, "M * * * *" → 60. */
export function cronEveryMinutes(expr: string): number {
  const f = expr.trim().split(/\s+/);
  if (f.length === 5 && f.slice(1).every((x) => x === "*")) {
    const m = /^\*\/(\d+)$/.exec(f[0]);
    if (m && Number(m[1]) > 0 && Number(m[1]) <= 60) return Number(m[1]);
    if (/^\d+$/.test(f[0])) return 60;
  }
  throw new CodedError(
    "invalid_input",
    `replay follows schedules of the form "*/N * * * *" or "M * * * *"; schedule.decide is "${expr}"`,
  );
}

export async function runReplay(opts: ReplayOptions): Promise<ReplayResult> {
  const { window, initial } = splitWindow(opts.prices, opts.initial, opts.from, opts.to);
  const grid = buildPriceGrid(window, { initial });
  const settings = opts.config.file.policy;
  const specs = opts.fleet ?? defaultFleet(grid, opts.tables.onDemand);
  const { instances } = buildFleet(specs, grid, opts.tables, settings);
  if (instances.length === 0) throw new CodedError("invalid_input", "no instance of the fleet can be replayed");
  const everyMin = cronEveryMinutes(opts.config.file.schedule.decide);
  const start = grid.start;
  const end = start + (grid.hours - 1) * HOUR_MS;

  const clock = new ManualClock(start);
  const cloud = new SimCloud({ clock, prices: [...(initial ?? []), ...window], latencies: opts.latencies });
  for (const inst of instances) {
    cloud.seedInstance({
      instanceId: inst.instanceId,
      accountId: "sim",
      region: inst.region,
      az: inst.az,
      instanceType: inst.instanceType,
      lifecycle: "spot",
      launchedAt: start - 14 * DAY_MS,
      tags: {
        Name: `replay-${inst.instanceType}`,
        [TAG_MANAGED]: "true",
        [TAG_AZ_FLEXIBLE]: inst.azFlexible === false ? "false" : "true",
      },
    });
  }
  const regions = [...new Set(instances.map((i) => i.region))].sort();
  const azs = [...new Set(grid.pools.filter((p) => regions.includes(p.region)).map((p) => p.az))].sort();
  const config: Config = {
    ...opts.config,
    env: {
      ...opts.config.env,
      DATABASE_URL: "pglite://memory",
      REDIS_URL: undefined,
      SPOTWISE_MODE: opts.approve === "all" ? "approve" : "shadow",
    },
    file: {
      ...opts.config.file,
      accounts: [
        {
          id: "sim",
          name: "replay (simulated)",
          regions,
          subnets: Object.fromEntries(azs.map((az) => [az, `subnet-${az}`])),
          twoPersonRule: false,
        },
      ],
    },
  };
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const log = createLogger({ level: "silent", destination: quiet });
  const notifier = new CountingNotifier(opts.notifier ?? notifierFromConfig(config, { write: opts.write }));
  const infra = await openInfra(config, { clock, log, opsInMemory: true });
  const c = await buildContainer(infra, {
    cloud: simCloudPorts(cloud),
    notifier,
    tables: opts.tables,
    risk: opts.risk,
    soleWriter: true,
  });
  const bot = c.botServices();
  const sagas = { done: 0, rolled_back: 0, failed: 0 };
  const decisions: Record<string, number> = {};
  const refused: Record<string, number> = {};
  const lineage = new Lineage(instances);
  const schedules = instances.map((i): Schedule => ({ initial: i.startPool, choice: new Int32Array(grid.hours) }));
  const ticks = Math.floor((end - start) / (everyMin * 60_000)) + 1;
  let hour = 0;
  let digest: ReplayResult["detail"]["digest"] = null;
  let model: string | null = null;
  try {
    for (let k = 0; k < ticks; k++) {
      const t = start + k * everyMin * 60_000;
      clock.set(Math.max(t, clock.now()));
      opts.onTick?.(t, k, ticks);
      await c.jobRunner.run(c.jobs.scrape, clock.now());
      await c.jobRunner.run(c.jobs.decide, clock.now());
      for (const d of c.jobs.decide.last?.decisions ?? []) decisions[d.action] = (decisions[d.action] ?? 0) + 1;
      if (opts.approve === "all") await approveAll(c, bot, notifier, sagas, refused);
      // the state after the tick holds for every whole hour up to the next tick (the backtest's hourly grid)
      const next = k + 1 < ticks ? t + everyMin * 60_000 : end + 1;
      let labelled = false;
      for (; hour < grid.hours && start + hour * HOUR_MS < next; hour++) {
        lineage.record(cloud, grid, schedules, hour);
        if (!labelled) await c.jobRunner.run(c.jobs.label, clock.now());
        labelled = true;
        // each UTC day is reported once it is over (the digest reports the day before the one it runs in)
        if (hour > 0 && (start + hour * HOUR_MS) % DAY_MS === 0) await c.jobRunner.run(c.jobs.digest, clock.now());
      }
    }
    // the window's last day (whole or not), as the channel would see it the next morning
    clock.set(Math.max(clock.now(), (Math.floor(end / DAY_MS) + 1) * DAY_MS));
    await c.jobRunner.run(c.jobs.digest, clock.now());
    const last = c.jobs.digest.last;
    digest = last
      ? {
          day: last.day,
          realizedSavingsUsd: last.realizedSavingsUsd,
          counterfactualSavingsUsd: last.counterfactualSavingsUsd,
        }
      : null;
    const status = c.scoring.status();
    model = status.champion ? `${status.champion.name} v${status.champion.version}` : null;
  } finally {
    await c.close();
    await infra.close();
  }
  const m = await measure(grid, instances, opts.tables.advisor, schedules, lineage, notifier.counts);
  return {
    summary: m.summary,
    detail: {
      recommendations: notifier.recommendations,
      oracleSwitches: m.oracleSwitches,
      digest,
      model,
      start: new Date(start).toISOString(),
      decideEveryMinutes: everyMin,
      instanceIds: instances.map((i) => i.instanceId),
      schedules,
      sagas,
      refused,
      decisions,
      moves: movesOf(cloud),
    },
  };
}

/** A replacement (tagged spotwise:replaces) whose old instance was terminated: a switch that went through. */
function movesOf(cloud: SimCloud): ReplayMove[] {
  const pool = (i: SimInstance) => poolId({ region: i.region, az: i.az, instanceType: i.instanceType });
  const moves: ReplayMove[] = [];
  for (const i of cloud.instances.values()) {
    const old = cloud.instances.get(i.tags[TAG_REPLACES] ?? "");
    if (!old || old.terminatedAt === undefined || (i.terminatedAt ?? Number.POSITIVE_INFINITY) <= old.terminatedAt) {
      continue;
    }
    moves.push({
      oldInstanceId: old.instanceId,
      newInstanceId: i.instanceId,
      from: pool(old),
      to: pool(i),
      at: old.terminatedAt,
    });
  }
  return moves.sort((a, b) => a.at - b.at);
}

type Built = Awaited<ReturnType<typeof buildContainer>>;

/**
 * Approves every pending recommendation and runs its switch as an approver's click does: the same steps on the
 * message and thread replies (src/bot/flows/switch-run.ts), through the counted notifier.
 */
async function approveAll(
  c: Built,
  bot: ReturnType<Built["botServices"]>,
  notifier: Notifier,
  sagas: ReplayResult["detail"]["sagas"],
  refused: Record<string, number>,
): Promise<void> {
  // as the bot refuses a click before anything is spent (paused, breaker open, today's budget used up): the
  // recommendations stay open, and the next decide tick refreshes them in place
  const open = new Map<string, boolean>();
  for (const a of c.accounts) {
    const can = await c.control.canApprove(a.accountId);
    open.set(a.accountId, can.ok);
    if (!can.ok) refused[can.code] = (refused[can.code] ?? 0) + 1;
  }
  if (![...open.values()].some(Boolean)) return;
  const log = { warn: () => {}, info: () => {} };
  // newest first as listed, those of one tick in fleet order: which advice today's budget lets through must not
  // depend on how the database breaks ties (the list's tie-break is the recommendation's random id)
  const pending = (await c.recommendations.list({ statuses: ["pending"] })).sort(
    (a, b) => b.createdAt - a.createdAt || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0),
  );
  for (const rec of pending) {
    if (open.get(rec.accountId) === false) continue;
    const can = await c.control.canApprove(rec.accountId);
    if (!can.ok) {
      refused[can.code] = (refused[can.code] ?? 0) + 1;
      open.set(rec.accountId, false);
      continue;
    }
    const approval = await c.recommendations.approve(rec.id, "U-replay-approver");
    if (approval.kind !== "approved") continue;
    const ref = rec.channel && rec.messageTs ? { channel: rec.channel, ts: rec.messageTs } : null;
    const outcome = await runApprovedSwitch(
      {
        recommendations: c.recommendations,
        startSwitch: bot.startSwitch,
        notifier: ref ? notifier : { update: async () => {}, progress: async () => {} },
        log,
      },
      approval.rec,
      "U-replay-approver",
      ref ?? { channel: "", ts: "" },
    );
    if (outcome) sagas[outcome.status]++;
  }
}

/**
 * Which EC2 instance runs each managed instance, followed on the simulated cloud by the same rule as the fleet
 * sync (a replacement carries spotwise:replaces): the measurement does not trust the code it measures.
 */
class Lineage {
  private readonly managedOf = new Map<string, number>();
  /** Fleet index → whether a running instance was found at the last record. */
  readonly lost = new Set<number>();
  constructor(instances: readonly BacktestInstance[]) {
    for (const [i, inst] of instances.entries()) this.managedOf.set(inst.instanceId, i);
  }

  record(cloud: SimCloud, grid: PriceGrid, schedules: Schedule[], hour: number): void {
    const running = [...cloud.instances.values()]
      .filter((i) => cloud.stateOf(i) === "running" || cloud.stateOf(i) === "pending")
      .sort((a, b) => a.launchedAt - b.launchedAt);
    for (const i of running) {
      if (this.managedOf.has(i.instanceId)) continue;
      const before = this.managedOf.get(i.tags[TAG_REPLACES] ?? "");
      if (before !== undefined) this.managedOf.set(i.instanceId, before);
    }
    // the newest running instance of a lineage is where it runs (a replacement not yet cut over costs the same)
    const where = new Map<number, number>();
    for (const i of running) {
      const m = this.managedOf.get(i.instanceId);
      if (m === undefined) continue;
      const p =
        i.lifecycle === "on-demand"
          ? ON_DEMAND
          : (grid.index.get(poolId({ region: i.region, az: i.az, instanceType: i.instanceType })) ?? ON_DEMAND);
      where.set(m, p);
    }
    this.lost.clear();
    schedules.forEach((s, m) => {
      const p = where.get(m);
      if (p === undefined) {
        this.lost.add(m);
        // charged on-demand while lost: the workload has to run somewhere
        s.choice[hour] = ON_DEMAND;
      } else s.choice[hour] = p;
    });
  }
}

async function measure(
  grid: PriceGrid,
  instances: readonly BacktestInstance[],
  advisor: AdvisorTable,
  schedules: Schedule[],
  lineage: Lineage,
  messages: MessageCounts,
): Promise<{ summary: ReplaySummary; oracleSwitches: number }> {
  const ctx = simContext(grid, instances, advisor);
  let cost = 0;
  let switches = 0;
  instances.forEach((inst, i) => {
    const r = scheduleCost(ctx, inst, schedules[i]);
    cost += r.cost;
    switches += r.switches;
  });
  const total = async (p: BacktestPolicy): Promise<{ cost: number; switches: number }> => {
    const ss = await p.run(ctx);
    const out = { cost: 0, switches: 0 };
    ss.forEach((s, i) => {
      const r = scheduleCost(ctx, instances[i], s);
      out.cost += r.cost;
      out.switches += r.switches;
    });
    return out;
  };
  const stay = (await total(stayPolicy)).cost;
  const o = await total(oraclePolicy);
  const oracle = o.cost;
  const round = (v: number, d: number): number => Number(v.toFixed(d));
  const weeks = grid.hours / 168;
  const summary: ReplaySummary = {
    hours: grid.hours,
    instances: instances.length,
    switches,
    switches_per_instance_week: round(switches / instances.length / weeks, 4),
    cost_usd: round(cost, 2),
    stay_cost_usd: round(stay, 2),
    oracle_cost_usd: round(oracle, 2),
    oracle_capture_pct: stay - oracle > 0 ? round(((stay - cost) / (stay - oracle)) * 100, 2) : 100,
    lost_instances: lineage.lost.size,
    messages: { ...messages },
  };
  return { summary, oracleSwitches: o.switches };
}

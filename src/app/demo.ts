/**
 * `spotwise demo`: `spotwise replay` on the bundled real GPU spot market (2019-12 .. 2020-01, MIT) with the demo
 * fleet: the real jobs on the simulated cloud, PGlite in memory, in-process stores, the shipped model and the
 * console notifier. With approve=all every recommendation is approved and runs through the real switch saga.
 */
import { BUNDLED, bundledPath, loadAdvisor, loadCatalog, loadOnDemand } from "../adapters/tables/index.js";
import type { Config } from "../config/schema.js";
import type { FleetSpec } from "../core/backtest/fleet.js";
import type { PriceRecord } from "../core/types.js";
import { bundledMarket, typesInSeveralAzs } from "./bundled-market.js";
import { type ReplaySummary, runReplay } from "./replay.js";

const HOUR = 3_600_000;

export interface DemoOptions {
  days: number;
  instances: number;
  approve: "all" | "none";
  /** Where the console notifier writes (nothing in --json mode). */
  write: (text: string) => void;
  /** Base configuration (its policy, schedule and switch settings apply; stores are forced to the embedded ones). */
  config: Config;
}

export interface DemoSummary {
  market: string;
  from: string;
  to: string;
  instances: number;
  /** Minutes between decide ticks (schedule.decide; the default every 15 min). */
  decide_every_minutes: number;
  decisions: Record<string, number>;
  recommendations: number;
  switches: { done: number; rolled_back: number; failed: number };
  /** The switches the hindsight oracle needs for the same fleet and window (backtest semantics). */
  oracle_switches: number;
  digest: { day: string; realizedSavingsUsd: number; counterfactualSavingsUsd: number } | null;
  model: string | null;
  /** What `spotwise replay --json` prints for the same run. */
  replay: ReplaySummary;
}

/** Fleet placement: types with the widest price spread across AZs at `t`; most instances start in the dearest AZ. */
export function demoFleet(
  prices: PriceRecord[],
  t: number,
  n: number,
): Array<{ region: string; az: string; instanceType: string }> {
  const spread = typesInSeveralAzs(prices, t)
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
  const prices = await bundledMarket();
  const first = prices[0].ts;
  const last = prices[prices.length - 1].ts;
  // the collection starts pool by pool over its first days: begin once every region has reported
  const start = Math.ceil((first + 6 * 24 * HOUR) / HOUR) * HOUR;
  const end = Math.min(start + opts.days * 24 * HOUR, last);
  const fleet: FleetSpec[] = demoFleet(prices, start, opts.instances).map((f, n) => ({
    ...f,
    instanceId: `i-demo${String(n + 1).padStart(4, "0")}`,
    azFlexible: true,
  }));
  const regions = [...new Set(fleet.map((f) => f.region))].sort();
  const config: Config = { ...opts.config, env: { ...opts.config.env, SLACK_BOT_TOKEN: undefined } };
  opts.write(
    `spotwise demo: ${fleet.length} simulated instances on the real ${regions.join(", ")} GPU spot market, ` +
      `${new Date(start).toISOString().slice(0, 16)}Z .. ${new Date(end).toISOString().slice(0, 16)}Z, ` +
      `${opts.approve === "all" ? "approve" : "shadow"} mode\n`,
  );
  const r = await runReplay({
    prices,
    tables: {
      onDemand: await loadOnDemand(),
      advisor: await loadAdvisor(bundledPath(BUNDLED.advisor2021)),
      catalog: await loadCatalog(),
    },
    fleet,
    from: start,
    to: end,
    approve: opts.approve,
    config,
    write: opts.write,
  });
  return {
    market: "prices-gpu-p2p3-6regions-2019-12-20_2020-01-31.csv (MIT, stanford-futuredata/training_on_a_dime)",
    from: new Date(start).toISOString(),
    to: new Date(end).toISOString(),
    instances: fleet.length,
    decide_every_minutes: r.detail.decideEveryMinutes,
    decisions: r.detail.decisions,
    recommendations: r.detail.recommendations,
    switches: r.detail.sagas,
    oracle_switches: r.detail.oracleSwitches,
    digest: r.detail.digest,
    model: r.detail.model,
    replay: r.summary,
  };
}

/**
 * `spotwise replay` on the us-east-1 2021 series of ../shared/data: the real jobs (scrape, decide every 15 min,
 * approve-all switch saga, label, digest) on the simulated cloud for the default fleet (255 instances, one per
 * type) over REPLAY_BENCH_DAYS days (default 30), against the same-run baseline of the backtest of the same
 * window and fleet (every policy). One run each: a replay of a month is minutes, not milliseconds.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLED, bundledPath, loadAdvisor, loadCatalog, loadOnDemand } from "../src/adapters/tables/index.js";
import { runReplay } from "../src/app/replay.js";
import { loadConfig } from "../src/config/load.js";
import { splitWindow } from "../src/core/backtest/grid.js";
import { runBacktest } from "../src/core/backtest/run.js";
import { parsePriceFile } from "../src/core/market/import.js";
import type { BenchResult } from "./types.js";

const here = dirname(fileURLToPath(import.meta.url));
const SERIES = resolve(here, "../../shared/data/prices-us-east-1-2021-03-02_2021-04-30.csv");
const DAY = 24 * 3_600_000;

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(SERIES)) throw new Error(`replay bench needs ${SERIES} (../shared/data next to the repository)`);
  const days = Number(process.env.REPLAY_BENCH_DAYS ?? 30);
  const prices = parsePriceFile(readFileSync(SERIES, "utf8"), SERIES).records;
  const tables = {
    onDemand: await loadOnDemand(),
    advisor: await loadAdvisor(bundledPath(BUNDLED.advisor2021)),
    catalog: await loadCatalog(),
  };
  const from = Math.ceil((prices[0].ts + 2 * DAY) / 3_600_000) * 3_600_000;
  const to = from + days * DAY;
  const config = loadConfig({});
  const t0 = performance.now();
  const w = splitWindow(prices, undefined, from, to);
  const bt = await runBacktest({ prices: w.window, initial: w.initial, ...tables, settings: config.file.policy });
  const backtestMs = performance.now() - t0;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await runReplay({ prices, tables, from, to, approve: "all", config, write: () => {} });
  const replayMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const s = r.summary;
  return [
    {
      name: `us-east-1 replay, ${days} days, decide every ${r.detail.decideEveryMinutes} min`,
      value: replayMs,
      unit: "ms",
      baseline: { name: "backtest of the same window, all policies", value: backtestMs },
      notes:
        `${s.instances} instances × ${s.hours} hours, ${Math.round(s.hours * (60 / r.detail.decideEveryMinutes))} decide ticks: ` +
        `${s.switches} switches, capture ${s.oracle_capture_pct}% ` +
        `(backtest spotwise ${bt.results.find((x) => x.policy === "spotwise")?.oracle_capture_pct}%), lost ${s.lost_instances}; ` +
        `${cpuS.toFixed(0)} s of CPU (the machine is shared: wall clock includes waiting)` +
        (Object.keys(r.detail.refused).length ? `; approval rounds refused: ${JSON.stringify(r.detail.refused)}` : ""),
    },
  ];
}

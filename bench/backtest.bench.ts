/**
 * The backtester on the us-east-1 2021 series of ../shared/data (176k records, 1,246 pools, 255 instances,
 * 1,390 hours): every policy, against the same-run baseline of the minimum replay (grid, fleet, stay,
 * on-demand and the oracle, which every report needs). Each figure is the median of five runs after one
 * (the machines are shared: single runs vary by ±20 %). Parsing the file is timed apart.
 */
import { readFileSync } from "node:fs";
import { BUNDLED, bundledPath, loadAdvisor, loadCatalog, loadOnDemand } from "../src/adapters/tables/index.js";
import { runBacktest } from "../src/core/backtest/run.js";
import { parsePriceFile } from "../src/core/market/import.js";
import { sharedDataFile } from "./data.js";
import { type BenchResult, medianMs } from "./types.js";

export async function run(): Promise<BenchResult[]> {
  const SERIES = sharedDataFile("prices-us-east-1-2021-03-02_2021-04-30.csv");
  const text = readFileSync(SERIES, "utf8");
  const parseMs = await medianMs(() => parsePriceFile(text, SERIES), 3, 1);
  const prices = parsePriceFile(text, SERIES).records;
  const [onDemand, advisor, catalog] = await Promise.all([
    loadOnDemand(),
    loadAdvisor(bundledPath(BUNDLED.advisor2021)),
    loadCatalog(),
  ]);
  const input = { prices, onDemand, advisor, catalog };
  let hours = 0;
  let instances = 0;
  const allMs = await medianMs(
    async () => {
      const r = await runBacktest(input);
      hours = r.hours;
      instances = r.instances;
    },
    5,
    1,
  );
  const minimalMs = await medianMs(() => runBacktest({ ...input, policies: ["stay"] }), 5, 1);
  return [
    {
      name: "us-east-1 backtest, all 7 policies",
      value: allMs,
      unit: "ms",
      baseline: { name: "grid+fleet+stay+ondemand+oracle", value: minimalMs },
      notes: `${instances} instances × ${hours} hours, ${prices.length} records; spotwise runs decide() ${instances * hours} times; median of 5 runs`,
    },
    {
      name: "parse us-east-1 price CSV",
      value: parseMs,
      unit: "ms",
      baseline: { name: "backtest, all policies", value: allMs },
    },
  ];
}

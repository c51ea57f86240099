/**
 * `spotwise backtest`: replays real spot price history hour by hour and compares the spotwise policy with
 * stay, on-demand, greedy, AutoSpotting, Karpenter and the hindsight oracle (semantics: docs/backtest.md).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { OnnxModelLoader } from "../../adapters/onnx/runner.js";
import {
  BUNDLED,
  bundledPath,
  loadAdvisor,
  loadCatalog,
  loadOnDemand,
  packageRoot,
} from "../../adapters/tables/index.js";
import { loadConfig } from "../../config/load.js";
import { parseFleetCsv } from "../../core/backtest/fleet.js";
import { splitWindow } from "../../core/backtest/grid.js";
import { advisorRiskScorer } from "../../core/backtest/risk.js";
import {
  type BacktestReport,
  POLICY_NAMES,
  type PolicyName,
  RISK_MODES,
  type RiskMode,
  runBacktest,
} from "../../core/backtest/run.js";
import { CodedError } from "../../core/errors.js";
import { parsePriceFile } from "../../core/market/import.js";
import { parseAdvisorCsv, parseCatalogCsv, parseOnDemandCsv } from "../../core/market/tables.js";
import type { ModelRunner } from "../../core/ports/model-runner.js";
import type { PriceRecord } from "../../core/types.js";
import { CliExit, type CliIo } from "../io.js";

interface BacktestOptions {
  prices: string[];
  initial?: string;
  ondemand?: string;
  advisor?: string;
  catalog?: string;
  fleet?: string;
  policy: string;
  risk: string;
  from?: string;
  to?: string;
  model?: string;
  json?: boolean;
}

/** The model the daemon would score launches with: `--model FILE`, or the shipped models/default.onnx. */
async function loadLaunchModel(file: string | undefined): Promise<ModelRunner> {
  const path = file ?? resolve(packageRoot(), "models/default.onnx");
  const bytes = new Uint8Array(
    await readFile(path).catch(() => {
      throw new CodedError("invalid_input", `cannot read the model file ${path}: check --model`);
    }),
  );
  return new OnnxModelLoader().load({ modelId: file ? "cli" : "shipped", name: file ? path : "default", bytes });
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new CodedError("invalid_input", `cannot read the ${what} file ${path} (${code}): check the path`);
  }
}

export async function readPrices(paths: string[]): Promise<PriceRecord[]> {
  const out: PriceRecord[] = [];
  for (const p of paths) {
    for (const r of parsePriceFile(await readText(p, "price"), p).records) out.push(r);
  }
  return out;
}

export function parseIso(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new CliExit(2, `${flag} must be an ISO time such as 2021-03-10T00:00Z, got "${v}"`);
  return t;
}

/** The file inputs `backtest` and `replay` share: price files, optional tables (bundled ones by default), fleet. */
export interface MarketInputOptions {
  prices: string[];
  initial?: string;
  ondemand?: string;
  advisor?: string;
  catalog?: string;
  fleet?: string;
}

export async function readMarketInputs(opts: MarketInputOptions) {
  const { fleet: fleetPath } = opts;
  const [prices, initial, onDemand, advisor, catalog, fleet] = await Promise.all([
    readPrices(opts.prices),
    opts.initial ? readPrices([opts.initial]) : Promise.resolve(undefined),
    opts.ondemand
      ? readText(opts.ondemand, "on-demand").then((t) => parseOnDemandCsv(t, opts.ondemand))
      : loadOnDemand(),
    opts.advisor
      ? readText(opts.advisor, "advisor").then((t) => parseAdvisorCsv(t, opts.advisor))
      : loadAdvisor(bundledPath(BUNDLED.advisor2021)),
    opts.catalog ? readText(opts.catalog, "catalog").then((t) => parseCatalogCsv(t, opts.catalog)) : loadCatalog(),
    fleetPath ? readText(fleetPath, "fleet").then((t) => parseFleetCsv(t, fleetPath)) : Promise.resolve(undefined),
  ]);
  return { prices, initial, onDemand, advisor, catalog, fleet };
}

export function parsePolicies(spec: string): PolicyName[] {
  if (spec.trim() === "all") return [...POLICY_NAMES];
  const names = spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(POLICY_NAMES as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) {
    throw new CliExit(
      2,
      `spotwise backtest: unknown policy ${bad.join(", ") || "(none)"}: use all or a comma list of ${POLICY_NAMES.join(", ")}`,
    );
  }
  return [...new Set(names)] as PolicyName[];
}

export function formatTable(report: BacktestReport): string {
  const head = ["policy", "total USD", "vs on-demand", "vs stay", "oracle capture", "switches", "per inst-week"];
  const rows = report.results.map((r) => [
    r.policy,
    r.total_cost_usd.toFixed(2),
    `${r.savings_vs_ondemand_pct.toFixed(2)}%`,
    `${r.savings_vs_stay_pct.toFixed(2)}%`,
    `${r.oracle_capture_pct.toFixed(2)}%`,
    String(r.switches),
    r.switches_per_instance_week.toFixed(4),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const d = report.detail;
  return [
    `${report.hours} hours from ${d.start}, ${report.instances} instances` +
      (d.skipped.length > 0
        ? ` (${d.skipped.length} skipped: ${d.skipped[0].reason}${d.skipped.length > 1 ? ", ..." : ""})`
        : ""),
    `spotwise risk input: ${d.risk}`,
    "",
    line(head),
    ...rows.map(line),
  ].join("\n");
}

export function register(program: Command, io: CliIo): void {
  program
    .command("backtest")
    .description("Replay spot price history and compare spotwise with stay, on-demand, other tools and the oracle")
    .requiredOption(
      "--prices <file...>",
      "price history: CSV (timestamp,region,az,instance_type,product,price_usd_per_hour) or aws ec2 describe-spot-price-history JSON",
    )
    .option("--initial <file>", "records in effect before the window (otherwise the replay starts 48 h in)")
    .option("--ondemand <file>", "on-demand price CSV (default: bundled data/ondemand.csv)")
    .option("--advisor <file>", "Spot Advisor CSV (default: bundled 2021 snapshot data/advisor.csv)")
    .option("--catalog <file>", "instance type catalog CSV (default: bundled data/instance-types.csv)")
    .option(
      "--fleet <file>",
      "fleet CSV instance_id,region,az,instance_type[,az_flexible] (default: one per type with an on-demand price)",
    )
    .option("--from <iso>", "start of the window (records before it are the initial records)")
    .option("--to <iso>", "end of the window")
    .option("--policy <names>", `all, or a comma list of ${POLICY_NAMES.join(",")}`, "all")
    .option(
      "--risk <mode>",
      "spotwise: the daemon's risk (advisor prior + the replay's own launches); advisor: the advisor prior alone",
      "spotwise",
    )
    .option(
      "--model <file>",
      "ONNX model scoring P(launch finds no capacity) of the pools the replay launched into, vetoing targets above policy.maxLaunchFailure as the daemon does (default: the shipped models/default.onnx)",
    )
    .option("--json", "print the results as JSON")
    .action(async (opts: BacktestOptions) => {
      const policies = parsePolicies(opts.policy);
      if (!(RISK_MODES as readonly string[]).includes(opts.risk)) {
        throw new CliExit(2, `spotwise backtest: --risk must be one of ${RISK_MODES.join(", ")}, got "${opts.risk}"`);
      }
      const settings = loadConfig(io.env).file.policy;
      const { prices, initial, onDemand, advisor, catalog, fleet } = await readMarketInputs(opts);
      const riskScorer = advisorRiskScorer(advisor, opts.advisor ?? "bundled 2021 snapshot data/advisor.csv");
      const window = splitWindow(prices, initial, parseIso(opts.from, "--from"), parseIso(opts.to, "--to"));
      const launchModel = opts.risk === "advisor" ? undefined : await loadLaunchModel(opts.model);
      const report = await runBacktest({
        prices: window.window,
        initial: window.initial,
        onDemand,
        advisor,
        catalog,
        fleet,
        policies,
        settings,
        riskScorer,
        risk: opts.risk as RiskMode,
        launchModel,
      }).finally(() => launchModel?.close());
      if (opts.json) {
        io.stdout(
          JSON.stringify({ hours: report.hours, instances: report.instances, results: report.results }, null, 2),
        );
      } else {
        io.stdout(formatTable(report));
      }
    });
}

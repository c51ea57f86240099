/**
 * `spotwise replay`: the real jobs (scrape, decide, approve-all switch saga, label, digest) on the simulated
 * cloud over a recorded market, measured with the backtest's cost semantics (docs/backtest.md).
 */
import type { Command } from "commander";
import { type ReplayResult, type ReplaySummary, runReplay } from "../../app/replay.js";
import { loadConfig } from "../../config/load.js";
import { CodedError } from "../../core/errors.js";
import type { CliIo } from "../io.js";
import { parseIso, readMarketInputs } from "./backtest.js";

interface ReplayCliOptions {
  prices: string[];
  initial?: string;
  fleet?: string;
  ondemand?: string;
  advisor?: string;
  catalog?: string;
  from?: string;
  to?: string;
  approve: string;
  risk: string;
  json?: boolean;
}

export function formatSummary(r: ReplayResult): string {
  const s: ReplaySummary = r.summary;
  const d = r.detail;
  return [
    `replay: ${s.hours} hours from ${d.start}, ${s.instances} managed instances, decide every ${d.decideEveryMinutes} min`,
    `decisions: ${Object.entries(d.decisions)
      .map(([a, n]) => `${n} ${a}`)
      .join(", ")}; switches: ${d.sagas.done} done, ${d.sagas.rolled_back} rolled back, ${d.sagas.failed} failed` +
      (Object.keys(d.refused).length
        ? `; approvals refused: ${Object.entries(d.refused)
            .map(([k, n]) => `${n} ${k}`)
            .join(", ")}`
        : ""),
    `cost ${s.cost_usd.toFixed(2)} USD vs stay ${s.stay_cost_usd.toFixed(2)} and oracle ${s.oracle_cost_usd.toFixed(2)}: ` +
      `${s.oracle_capture_pct.toFixed(2)}% of the oracle's saving`,
    `${s.switches} switches (${s.switches_per_instance_week.toFixed(4)} per instance-week); lost instances: ${s.lost_instances}`,
    `messages: ${s.messages.posts} posts, ${s.messages.updates} updates, ${s.messages.thread_replies} thread replies`,
  ].join("\n");
}

export function register(program: Command, io: CliIo): void {
  program
    .command("replay")
    .description(
      "Run the real jobs (scrape, decide, switch saga, label, digest) over a recorded market on the simulated cloud",
    )
    .requiredOption(
      "--prices <file...>",
      "price history: CSV (timestamp,region,az,instance_type,product,price_usd_per_hour) or describe-spot-price-history JSON",
    )
    .option("--initial <file>", "records in effect before the window")
    .option("--fleet <file>", "fleet CSV instance_id,region,az,instance_type[,az_flexible] (default: one per type)")
    .option("--ondemand <file>", "on-demand price CSV (default: bundled data/ondemand.csv)")
    .option("--advisor <file>", "Spot Advisor CSV (default: bundled 2021 snapshot data/advisor.csv)")
    .option("--catalog <file>", "instance type catalog CSV (default: bundled data/instance-types.csv)")
    .option("--from <iso>", "start of the window (records before it are the initial records)")
    .option("--to <iso>", "end of the window")
    .option("--approve <who>", "all: approve every recommendation and run the switch saga; none: shadow mode", "all")
    .option(
      "--risk <mode>",
      "spotwise (default) or advisor: the advisor prior alone, as backtest --risk advisor",
      "spotwise",
    )
    .option("--json", "print the summary as JSON")
    .action(async (opts: ReplayCliOptions) => {
      if (opts.approve !== "all" && opts.approve !== "none") {
        throw new CodedError("invalid_input", `--approve must be "all" or "none", got "${opts.approve}"`);
      }
      if (opts.risk !== "spotwise" && opts.risk !== "advisor") {
        throw new CodedError("invalid_input", `--risk must be "spotwise" or "advisor", got "${opts.risk}"`);
      }
      const from = parseIso(opts.from, "--from");
      const to = parseIso(opts.to, "--to");
      const { prices, initial, onDemand, advisor, catalog, fleet } = await readMarketInputs(opts);
      const result = await runReplay({
        prices,
        initial,
        tables: { onDemand, advisor, catalog },
        fleet,
        from,
        to,
        approve: opts.approve,
        risk: opts.risk,
        config: loadConfig(io.env),
        write: opts.json ? () => {} : io.stdout,
      });
      io.stdout(opts.json ? JSON.stringify(result.summary, null, 2) : formatSummary(result));
    });
}

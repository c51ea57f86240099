/** `spotwise scrape --once` and `spotwise decide --once [--json]`: one tick, for operators and cron users. */
import type { Command } from "commander";
import { cloudSetup } from "../../app/cloud.js";
import { buildContainer } from "../../app/container.js";
import { openInfra } from "../../app/infra.js";
import { loadConfig } from "../../config/load.js";
import { moveName, readablePools, riskPerHour, usdPerMonth } from "../../core/format.js";
import type { Decision } from "../../core/types.js";
import { CliExit, type CliIo } from "../io.js";

export function register(program: Command, io: CliIo): void {
  program
    .command("scrape")
    .description("Scrape spot prices of every configured account and region into the market store")
    .requiredOption("--once", "run one tick and exit (the scheduled loop is `spotwise daemon`)")
    .action(async () => {
      await oneTick(io, "scrape", false);
    });
  program
    .command("decide")
    .description("Decide SWITCH or STAY for every managed instance and post the recommendations")
    .requiredOption("--once", "run one tick and exit (the scheduled loop is `spotwise daemon`)")
    .option("--json", "print the decisions as JSON")
    .action(async (opts: { json?: boolean }) => {
      await oneTick(io, "decide", opts.json === true);
    });
}

async function oneTick(io: CliIo, job: "scrape" | "decide", json: boolean): Promise<void> {
  const config = loadConfig(io.env);
  const infra = await openInfra(config);
  try {
    const setup = await cloudSetup(config, io.env, infra.clock);
    const c = await buildContainer(infra, setup);
    try {
      if (c.accounts.length === 0) {
        throw new CliExit(1, `spotwise ${job}: no accounts configured: add accounts: to the SPOTWISE_CONFIG file`);
      }
      // the sandbox's market lives in this process: a decide reads what a scrape of it stores first
      if (job === "decide" && setup.sandbox) await c.jobRunner.run(c.jobs.scrape);
      const r = await c.jobRunner.run(c.jobs[job]);
      if (r.status === "failed") throw new CliExit(1, `spotwise ${job}: tick failed: ${r.error}`);
      const decisions = job === "decide" ? (c.jobs.decide.last?.decisions ?? []) : [];
      if (json) {
        io.stdout(JSON.stringify({ stats: r.stats, decisions }, null, 2));
        return;
      }
      io.stdout(`${job}: ${JSON.stringify(r.stats)}`);
      for (const d of decisions) io.stdout(`  ${decisionLine(d)}`);
    } finally {
      await c.close();
    }
  } finally {
    await infra.close();
  }
}

/**
 * One decision as an operator reads it: "i-0abc (managed i-09f) SWITCH eu-west-1c → eu-west-1a, p3.16xlarge:
 * saves $1,234.56/month at today's prices; risk 0.034 %/h → 0.017 %/h (advisor); <first reason>".
 */
export function decisionLine(d: Decision): string {
  const who = d.managedId && d.managedId !== d.instanceId ? `${d.instanceId} (managed ${d.managedId})` : d.instanceId;
  const parts = [`${who} ${d.action} ${moveName(d.from, d.action === "STAY" ? null : d.to)}`];
  const figures: string[] = [];
  if (d.action !== "STAY" && d.priceSavingPerMonth !== undefined) {
    figures.push(`saves ${usdPerMonth(d.priceSavingPerMonth)} at today's prices`);
  }
  const src = (s: string | null | undefined) => (s ? ` (${s})` : "");
  figures.push(
    d.riskTo === null || d.action === "STAY"
      ? `risk ${riskPerHour(d.riskFrom)}${src(d.riskFromSource)}`
      : `risk ${riskPerHour(d.riskFrom)} → ${riskPerHour(d.riskTo)}${src(d.riskToSource)}`,
  );
  if (d.reasons[0]) figures.push(readablePools(d.reasons[0]));
  return `${parts[0]}: ${figures.join("; ")}`;
}

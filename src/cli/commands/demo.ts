import type { Command } from "commander";
import { runDemo } from "../../app/demo.js";
import { loadConfig } from "../../config/load.js";
import { CodedError } from "../../core/errors.js";
import type { CliIo } from "../io.js";

export function register(program: Command, io: CliIo): void {
  program
    .command("demo")
    .description(
      "spotwise replay on the bundled real GPU spot market with a demo fleet: simulated cloud, embedded stores, console output",
    )
    .option("--days <n>", "simulated days to replay (1-30)", "3")
    .option("--instances <n>", "simulated managed instances (1-50)", "6")
    .option("--approve <who>", "all: approve every recommendation and run the switch saga; none: shadow mode", "none")
    .option("--json", "print a JSON summary instead of the console messages")
    .action(async (opts: { days: string; instances: string; approve: string; json?: boolean }) => {
      const days = Number(opts.days);
      const instances = Number(opts.instances);
      if (!Number.isInteger(days) || days < 1 || days > 30) {
        throw new CodedError("invalid_input", `--days must be a whole number from 1 to 30, got "${opts.days}"`);
      }
      if (!Number.isInteger(instances) || instances < 1 || instances > 50) {
        throw new CodedError(
          "invalid_input",
          `--instances must be a whole number from 1 to 50, got "${opts.instances}"`,
        );
      }
      if (opts.approve !== "all" && opts.approve !== "none") {
        throw new CodedError("invalid_input", `--approve must be "all" or "none", got "${opts.approve}"`);
      }
      const summary = await runDemo({
        days,
        instances,
        approve: opts.approve,
        config: loadConfig(io.env),
        write: opts.json ? () => {} : io.stdout,
      });
      if (opts.json) io.stdout(JSON.stringify(summary, null, 2));
      else {
        io.stdout(
          `\ndemo done: ${Object.entries(summary.decisions)
            .map(([a, n]) => `${n} ${a}`)
            .join(
              ", ",
            )} decisions; ${summary.recommendations} recommendations; switches: ${summary.switches.done} done, ${summary.switches.rolled_back} rolled back, ${summary.switches.failed} failed\n` +
            `paid ${summary.replay.cost_usd.toFixed(2)} USD vs ${summary.replay.stay_cost_usd.toFixed(2)} staying and ` +
            `${summary.replay.oracle_cost_usd.toFixed(2)} for the hindsight oracle (${summary.replay.oracle_capture_pct.toFixed(2)}% of its saving); ` +
            `${summary.replay.switches} switches vs the oracle's ${summary.oracle_switches}`,
        );
      }
    });
}

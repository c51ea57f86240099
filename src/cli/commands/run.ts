/** `spotwise start | daemon | bot`: the long-running processes (see src/app/service.ts). */
import type { Command } from "commander";
import { runUntilSignal, startService } from "../../app/service.js";
import { loadConfig } from "../../config/load.js";
import { CliExit, type CliIo } from "../io.js";

const PROCESSES = [
  {
    name: "start",
    daemon: true,
    bot: true,
    about: "Run the daemon, the Slack bot (or console notifier) and the ops HTTP endpoints",
  },
  {
    name: "daemon",
    daemon: true,
    bot: false,
    about: "Run the scheduled jobs (scrape, decide, label, digest, cleanup) and ops HTTP",
  },
  {
    name: "bot",
    daemon: false,
    bot: true,
    about: "Run the Slack bot only (approvals, /spot) with ops HTTP on the same port",
  },
] as const;

export function register(program: Command, io: CliIo): void {
  for (const p of PROCESSES) {
    program
      .command(p.name)
      .description(p.about)
      .action(async () => {
        const service = await startService(loadConfig(io.env), { daemon: p.daemon, bot: p.bot, env: io.env });
        io.stderr(`spotwise ${p.name}: listening on :${service.port() ?? "?"}; SIGTERM or Ctrl-C to stop`);
        const code = await runUntilSignal(service);
        if (code !== 0) throw new CliExit(code, `spotwise ${p.name}: work was still running at the shutdown bound`);
      });
  }
}

import type { Command } from "commander";
import { maskSecrets, readConfig } from "../../config/load.js";
import { configWarnings } from "../../config/warnings.js";
import { CliExit, type CliIo } from "../io.js";

export function register(program: Command, io: CliIo): void {
  const config = program.command("config").description("Inspect the configuration");
  config
    .command("check")
    .description(
      "Print the effective configuration with secrets masked and warn of settings that leave nobody in charge; exit 1 listing every invalid setting",
    )
    .action(() => {
      const r = readConfig(io.env);
      if (!r.ok) {
        io.stderr(`spotwise: invalid configuration, ${r.problems.length} problem(s):`);
        for (const p of r.problems) io.stderr(`  - ${p.where}: ${p.message}`);
        throw new CliExit(1, "");
      }
      io.stdout(
        JSON.stringify(maskSecrets({ env: r.config.env, file: r.config.file, source: r.config.source }), null, 2),
      );
      // valid, but probably not what was meant: on stderr, exit 0
      for (const w of configWarnings(r.config)) io.stderr(`spotwise: warning: ${w.where}: ${w.message}`);
    });
}

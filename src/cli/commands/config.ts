import type { Command } from "commander";
import { maskSecrets, readConfig } from "../../config/load.js";
import { CliExit, type CliIo } from "../io.js";

export function register(program: Command, io: CliIo): void {
  const config = program.command("config").description("Inspect the configuration");
  config
    .command("check")
    .description("Print the effective configuration with secrets masked; exit 1 listing every invalid setting")
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
    });
}

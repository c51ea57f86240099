/**
 * The `spotwise` command tree. Each command lives in src/cli/commands/<name>.ts and exports
 * `register(program, io)`; this file only assembles them and turns errors into one actionable line.
 */
import { Command, CommanderError } from "commander";
import { scrubText } from "../adapters/log/logger.js";
import { CodedError } from "../core/errors.js";
import { commandModules } from "./commands/index.js";
import { CliExit, type CliIo } from "./io.js";

export function buildProgram(io: CliIo): Command {
  const program = new Command("spotwise")
    .description("Keep long-running EC2 instances on the cheapest safe spot capacity, with a human in the loop.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  for (const mod of commandModules) mod.register(program, io);
  // every subcommand inherits the exit override and output routing
  for (const cmd of program.commands) applyRecursively(cmd, io);
  return program;
}

function applyRecursively(cmd: Command, io: CliIo): void {
  cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).showHelpAfterError();
  for (const sub of cmd.commands) applyRecursively(sub, io);
}

/** Runs argv (without node and script) and returns the exit code. Never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version end with exit 0; usage errors were already printed by commander
      return e.exitCode === 0 || e.code === "commander.helpDisplayed" ? 0 : 2;
    }
    if (e instanceof CliExit) {
      if (e.message) io.stderr(e.message);
      return e.exitCode;
    }
    if (e instanceof CodedError) {
      io.stderr(`spotwise: ${scrubText(e.message)}`);
      if (["debug", "trace"].includes(io.env.LOG_LEVEL ?? "") && e.cause instanceof Error && e.cause.stack) {
        io.stderr(scrubText(e.cause.stack));
      }
      return e.code === "invalid_input" || e.code === "config_invalid" || e.code === "model_invalid" ? 2 : 1;
    }
    // one line for the operator; the stack only when asked for (LOG_LEVEL=debug or trace)
    const debug = ["debug", "trace"].includes(io.env.LOG_LEVEL ?? "");
    const detail = e instanceof Error ? (debug ? (e.stack ?? e.message) : e.message) : String(e);
    io.stderr(`spotwise: unexpected error: ${scrubText(detail)}`);
    return 1;
  }
}

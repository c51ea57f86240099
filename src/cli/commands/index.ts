/**
 * Every top-level command module. To add a command: create src/cli/commands/<name>.ts exporting
 * `register(program, io)` and add ONE line here.
 */
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import * as backtest from "./backtest.js";
import * as config from "./config.js";
import * as demo from "./demo.js";
import * as experiments from "./experiments.js";
import * as migrate from "./migrate.js";
import * as models from "./models.js";
import * as once from "./once.js";
import * as prices from "./prices.js";
import * as replay from "./replay.js";
import * as resume from "./resume.js";
import * as riskEval from "./risk-eval.js";
import * as run from "./run.js";
import * as switchCmd from "./switch.js";

export interface CommandModule {
  register(program: Command, io: CliIo): void;
}

export const commandModules: CommandModule[] = [
  run,
  once,
  backtest,
  migrate,
  config,
  demo,
  replay,
  prices,
  models,
  experiments,
  riskEval,
  switchCmd,
  resume,
];

#!/usr/bin/env node
import { processIo } from "./io.js";
import { runCli } from "./program.js";

const code = await runCli(process.argv.slice(2), processIo());
process.exitCode = code;
// Every command closes what it opened; should a library still hold a handle (a reconnecting client, a timer),
// the process must still end: an orchestrator restarts a process that exits, never one that hangs.
setTimeout(() => {
  process.stderr.write("spotwise: handles still open after the command finished: exiting\n");
  process.exit(code);
}, 5_000).unref();

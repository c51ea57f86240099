/**
 * Runs the `spotwise` CLI as a real process (through tsx, from the source tree), for tests of what only a
 * process shows: exit codes, signals, ports, what reaches stdout and stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

export interface SpotwiseProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr, or rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process exits (or rejects after `ms`, killing it). */
  exited(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Spawns `spotwise ...args` (or another entry script under the repo) with exactly `env` plus PATH/HOME. */
export function spawnSpotwise(
  args: string[],
  env: Record<string, string>,
  opts: { entry?: string } = {},
): SpotwiseProcess {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, opts.entry ?? "src/cli/main.ts"), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_NO_WARNINGS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    for (const l of listeners) l();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal, ms: Date.now() - startedAt })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, ms = 30_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const m = (out + err).match(pattern);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolvePromise(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} within ${ms} ms; stdout:\n${out}\nstderr:\n${err}`));
        }, ms);
        listeners.add(check);
        void exit.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`exited before ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
          }
        });
        check();
      });
    },
    async exited(ms = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`still running after ${ms} ms; stdout:\n${out}\nstderr:\n${err}`));
        }, ms);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The long-running processes: `spotwise start` (daemon + bot), `spotwise daemon`, `spotwise bot`.
 *
 * Start: everything is opened in order (database and migrations, Redis, the container, the HTTP listeners,
 * then the scheduler last, so no tick runs without ops endpoints). Any failure closes what was opened and is
 * thrown as one line; the CLI exits non-zero and the orchestrator restarts the process.
 *
 * Stop (SIGTERM/SIGINT): stop taking fires, cancel running ticks through their AbortSignal (they stop at their
 * next safe point), let the bot's in-flight work finish, then close connections, all within a bound
 * (SPOTWISE_SHUTDOWN_SECONDS, default 30 s). A switch still running then is not lost: its saga is in the
 * database and resumes (or rolls back) on the next start.
 */

import type { Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { OpsEndpoints } from "../adapters/http/ops-server.js";
import { LeaseRunCoordinator } from "../adapters/kv/coordinator.js";
import { type BotApp, createBotApp } from "../bot/app.js";
import { botConfigFromConfig } from "../bot/config.js";
import { maskUrls } from "../config/mask.js";
import type { Config } from "../config/schema.js";
import { configWarnings } from "../config/warnings.js";
import { CodedError, errorMessage } from "../core/errors.js";
import type { Job } from "../daemon/job.js";
import { Scheduler } from "../daemon/scheduler.js";
import { cloudSetup } from "./cloud.js";
import { buildContainer, type Container } from "./container.js";
import { type Infra, openInfra } from "./infra.js";

export interface ServiceOptions {
  daemon: boolean;
  bot: boolean;
  env: NodeJS.ProcessEnv;
  /** The jobs the scheduler runs (default: the container's). */
  jobs?: (container: Container) => Job[];
}

export interface StopResult {
  /** True when every running tick and bot task stopped before connections were closed. */
  clean: boolean;
  /** Jobs whose ticks were still running when the bound was reached. */
  stillRunning: string[];
}

export interface RunningService {
  infra: Infra;
  container: Container;
  port(): number | undefined;
  /** Jobs with a tick running now. */
  running(): string[];
  stop(reason: string): Promise<StopResult>;
}

export async function startService(config: Config, opts: ServiceOptions): Promise<RunningService> {
  const botConfig = botConfigFromConfig(config);
  if (opts.bot && !opts.daemon && !botConfig) {
    throw new CodedError(
      "config_invalid",
      "spotwise bot needs Slack: set SLACK_BOT_TOKEN (and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET)",
    );
  }
  const boundMs = config.env.SPOTWISE_SHUTDOWN_SECONDS * 1000;
  // what has been opened so far, closed in reverse order when the start fails
  const opened: Array<() => Promise<unknown>> = [];
  const release = async () => {
    for (const close of opened.reverse()) await close().catch(() => undefined);
  };
  try {
    // a taken port is the cheapest failure to find: checked before anything is opened (and bound for real below)
    await listening(() => portFree(config.env.PORT), config.env.PORT);
    const infra = await openInfra(config, { processMetrics: true });
    opened.push(() => infra.close());
    const { log, health } = infra;
    // the ops port before the slow part of the start (in HTTP bot mode, Bolt binds it once the app is built)
    const ops = new OpsEndpoints(infra.metrics, infra.readiness);
    const httpBot = opts.bot && botConfig !== null && !botConfig.appToken;
    let server: Server | undefined;
    if (!httpBot) {
      server = await listening(() => ops.listen(config.env.PORT), config.env.PORT);
      opened.push(() => closeServer(server));
    }
    // SPOTWISE_CLOUD=sim: the sandbox (simulated cloud, bundled market shifted to now, seeded fleet)
    const container = await buildContainer(infra, await cloudSetup(config, opts.env, infra.clock));
    opened.push(() => container.close());
    for (const w of configWarnings(config)) log.warn({ setting: w.where }, w.message);
    if (container.accounts.length === 0) {
      log.warn("no AWS accounts configured: add accounts: to the SPOTWISE_CONFIG file (see docs/config.example.yaml)");
    }
    await health.ok("database", infra.db.describe);
    await (infra.redis ? health.ok("redis", "connected") : health.ok("redis", "in-process stores (no REDIS_URL)"));

    let bot: BotApp | undefined;
    if (opts.bot && botConfig) {
      bot = createBotApp({
        services: container.botServices(),
        config: botConfig,
        kv: { idempotency: infra.idempotency, cache: infra.cache },
        logger: log,
        clock: infra.clock,
        httpRoutes: (req, res) => ops.handle(req, res),
        // one rate-aware write queue per process: the daemon's notifier and the bot share it
        writes: container.writes,
      });
      await listening(() => bot?.start(), botConfig.port ?? config.env.PORT);
      opened.push(() => bot?.stop(1_000) ?? Promise.resolve());
      await health.ok("slack", `${bot.mode} mode`);
    } else {
      await health.ok("slack", "console notifier (no SLACK_BOT_TOKEN)");
    }

    let scheduler: Scheduler | undefined;
    let warmUp: Promise<void> | undefined;
    const warmUpAbort = new AbortController();
    if (opts.daemon) {
      // sagas a dead process left in flight: resumed or rolled back from real EC2 state, by one replica
      if (await infra.leases.acquire("saga-resume", infra.replicaId, 10 * 60_000)) {
        const outcomes = await container.runner.resumeAll().catch((e: unknown) => {
          log.error({ err: e }, "resuming in-flight switches failed");
          return [];
        });
        if (outcomes.length) log.info({ outcomes }, "in-flight switches resumed");
        await infra.leases.release("saga-resume", infra.replicaId);
      }
      const s = config.file.schedule;
      scheduler = new Scheduler({
        jobs: opts.jobs?.(container) ?? container.jobList,
        runner: container.jobRunner,
        log,
        spec: {
          timezone: s.timezone,
          expressions: {
            scrape: s.scrape,
            decide: s.decide,
            label: s.label,
            digest: s.digest,
            cleanup: s.cleanup,
            reconcile: s.reconcile,
          },
        },
        leases: infra.leases,
        owner: infra.replicaId,
        coordinator: infra.redis ? new LeaseRunCoordinator(infra.leases, infra.replicaId) : undefined,
        metrics: { skipped: infra.metrics.skippedFires },
        health,
      });
      scheduler.start();
      opened.push(() => scheduler?.stop(1_000) ?? Promise.resolve());
      // the sandbox shows its first recommendations at once instead of at the next decide fire
      if (config.env.SPOTWISE_CLOUD === "sim") warmUp = sandboxWarmUp(container, warmUpAbort.signal);
    }
    const watch = setInterval(() => void probe(infra), 30_000);
    watch.unref();
    log.info(
      { daemon: opts.daemon, bot: !!bot, port: bot?.port() ?? portOf(server), mode: config.env.SPOTWISE_MODE },
      "spotwise started",
    );

    let stopping: Promise<StopResult> | undefined;
    return {
      infra,
      container,
      port: () => bot?.port() ?? portOf(server),
      running: () => scheduler?.running() ?? [],
      stop(reason: string) {
        stopping ??= (async () => {
          const deadline = Date.now() + boundMs;
          const left = (reserveMs: number) => Math.max(deadline - Date.now() - reserveMs, 100);
          log.info({ reason, boundSeconds: boundMs / 1000, running: scheduler?.running() ?? [] }, "shutting down");
          clearInterval(watch);
          // at once: no new fires and running ticks cancelled (they stop at their next safe point); the bot stops
          // taking events and lets the switches it started reach a checkpoint
          const stillRunning = scheduler?.running() ?? [];
          warmUpAbort.abort();
          const [ticksStopped] = await Promise.all([
            scheduler ? scheduler.stop(left(Math.min(5_000, boundMs / 3)), reason) : Promise.resolve(true),
            bot?.stop(left(Math.min(5_000, boundMs / 3))),
            warmUp,
          ]);
          await closeServer(server);
          if (!ticksStopped) {
            log.error(
              { running: scheduler?.running() ?? stillRunning },
              "ticks did not stop within the shutdown bound: their tick records stay 'running' and the next fire redoes the work",
            );
            return { clean: false, stillRunning: scheduler?.running() ?? stillRunning };
          }
          await container.close();
          await infra.close();
          log.info("stopped");
          return { clean: true, stillRunning: [] };
        })();
        return stopping;
      },
    };
  } catch (e) {
    await release();
    throw e;
  }
}

/** One scrape and one decide tick of the sandbox, in the background (recorded like any tick; cancelled on stop). */
async function sandboxWarmUp(c: Container, signal: AbortSignal): Promise<void> {
  await c.jobRunner.run(c.jobs.scrape, undefined, signal);
  if (!signal.aborted) await c.jobRunner.run(c.jobs.decide, undefined, signal);
}

/** Runs `listen`, turning "port taken" and "not allowed" into one actionable line. */
async function listening<T>(listen: () => Promise<T> | undefined, port: number): Promise<T> {
  try {
    return (await listen()) as T;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new CodedError(
        "unavailable",
        `port ${port} is already in use: stop the other process or set PORT to a free port`,
      );
    }
    if (code === "EACCES") {
      throw new CodedError("unavailable", `not allowed to listen on port ${port}: set PORT to a port above 1024`);
    }
    throw e;
  }
}

/** Resolves when `port` can be bound now (it is released again at once). */
function portFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(port, "0.0.0.0", () => probe.close(() => resolve()));
  });
}

async function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeIdleConnections();
  await closed;
}

function portOf(server: Server | undefined): number | undefined {
  const a = server?.address();
  return a && typeof a === "object" ? a.port : undefined;
}

/** Checks the database and Redis and reports them as health components (what `/spot status` shows). */
export async function probe(infra: Pick<Infra, "db" | "redis" | "health">): Promise<void> {
  await infra.db
    .ping()
    .then(() => infra.health.ok("database", infra.db.describe))
    .catch((e: unknown) => infra.health.fail("database", maskUrls(errorMessage(e))).catch(() => undefined));
  if (infra.redis) {
    await infra.redis
      .ping()
      .then(() => infra.health.ok("redis", "connected"))
      .catch((e: unknown) => infra.health.fail("redis", maskUrls(errorMessage(e))).catch(() => undefined));
  }
}

/**
 * Runs until SIGTERM/SIGINT, then shuts down within the bound and resolves with the exit code: 0 when the
 * work stopped in time, 1 otherwise. A second signal, or the bound passing, exits at once with 1.
 */
export async function runUntilSignal(
  service: RunningService,
  onSignal?: (sig: NodeJS.Signals) => void,
): Promise<number> {
  const boundMs = service.infra.config.env.SPOTWISE_SHUTDOWN_SECONDS * 1000;
  return new Promise<number>((resolve) => {
    const handler = (sig: NodeJS.Signals) => {
      onSignal?.(sig);
      process.once("SIGTERM", force);
      process.once("SIGINT", force);
      const hard = setTimeout(() => {
        service.infra.log.error(`shutdown took longer than ${boundMs / 1000} s: exiting`);
        process.exit(1);
      }, boundMs);
      hard.unref();
      service
        .stop(sig)
        .then((r) => resolve(r.clean ? 0 : 1))
        .catch((e: unknown) => {
          service.infra.log.error({ err: e }, "shutdown failed");
          resolve(1);
        });
    };
    const force = (sig: NodeJS.Signals) => {
      service.infra.log.error({ signal: sig }, "second signal during shutdown: exiting now");
      process.exit(1);
    };
    process.once("SIGTERM", handler);
    process.once("SIGINT", handler);
  });
}

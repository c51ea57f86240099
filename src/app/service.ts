/**
 * The long-running processes: `spotwise start` (daemon + bot), `spotwise daemon`, `spotwise bot`.
 * One container, the scheduler, the Slack app, the ops endpoints, and a graceful shutdown on SIGTERM/SIGINT
 * that stops scheduling, lets running work reach a checkpoint and exits within 30 s. A switch still running
 * then is not lost: its saga is in the database and resumes (or rolls back) on the next start.
 */
import type { Server } from "node:http";
import { OpsEndpoints } from "../adapters/http/ops-server.js";
import { LeaseRunCoordinator } from "../adapters/kv/coordinator.js";
import { type BotApp, createBotApp } from "../bot/app.js";
import { botConfigFromConfig } from "../bot/config.js";
import type { Config } from "../config/schema.js";
import { CodedError, errorMessage } from "../core/errors.js";
import { Scheduler } from "../daemon/scheduler.js";
import { awsCloud } from "./cloud.js";
import { buildContainer, type Container } from "./container.js";
import { type Infra, openInfra } from "./infra.js";

export interface ServiceOptions {
  daemon: boolean;
  bot: boolean;
  env: NodeJS.ProcessEnv;
}

export interface RunningService {
  infra: Infra;
  container: Container;
  port(): number | undefined;
  stop(reason: string): Promise<void>;
}

const SHUTDOWN_MS = 30_000;

export async function startService(config: Config, opts: ServiceOptions): Promise<RunningService> {
  const botConfig = botConfigFromConfig(config);
  if (opts.bot && !opts.daemon && !botConfig) {
    throw new CodedError(
      "config_invalid",
      "spotwise bot needs Slack: set SLACK_BOT_TOKEN (and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET)",
    );
  }
  const infra = await openInfra(config, { processMetrics: true });
  const { log, health } = infra;
  const container = await buildContainer(infra, { cloud: awsCloud(config, opts.env) });
  if (container.accounts.length === 0) {
    log.warn("no AWS accounts configured: add accounts: to the SPOTWISE_CONFIG file (see docs/config.example.yaml)");
  }
  await health.ok("database", infra.db.describe);
  await (infra.redis ? health.ok("redis", "connected") : health.ok("redis", "in-process stores (no REDIS_URL)"));

  const ops = new OpsEndpoints(infra.metrics, infra.readiness);
  let bot: BotApp | undefined;
  let server: Server | undefined;
  let scheduler: Scheduler | undefined;
  const watch = setInterval(() => void probe(infra), 30_000);
  watch.unref();

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
      jobs: container.jobList,
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
      coordinator: infra.redis ? new LeaseRunCoordinator(infra.leases, infra.replicaId) : undefined,
    });
    scheduler.start();
  }
  if (opts.bot && botConfig) {
    bot = createBotApp({
      services: container.botServices(),
      config: botConfig,
      kv: { idempotency: infra.idempotency, cache: infra.cache },
      logger: log,
      clock: infra.clock,
      httpRoutes: (req, res) => ops.handle(req, res),
      writes: container.writes,
    });
    await bot.start();
    await health.ok("slack", `${bot.mode} mode`);
  } else {
    await health.ok("slack", "console notifier (no SLACK_BOT_TOKEN)");
  }
  if (!bot || bot.mode === "socket") server = await ops.listen(config.env.PORT);
  log.info(
    { daemon: opts.daemon, bot: !!bot, port: bot?.port() ?? portOf(server), mode: config.env.SPOTWISE_MODE },
    "spotwise started",
  );

  let stopping: Promise<void> | undefined;
  return {
    infra,
    container,
    port: () => bot?.port() ?? portOf(server),
    stop(reason: string) {
      stopping ??= (async () => {
        log.info({ reason }, "shutting down");
        clearInterval(watch);
        await scheduler?.stop(SHUTDOWN_MS - 5_000);
        await bot?.stop(SHUTDOWN_MS - 10_000);
        if (server) await new Promise<void>((r) => server?.close(() => r()));
        await container.close();
        await infra.close();
      })();
      return stopping;
    },
  };
}

function portOf(server: Server | undefined): number | undefined {
  const a = server?.address();
  return a && typeof a === "object" ? a.port : undefined;
}

async function probe(infra: Infra): Promise<void> {
  await infra.db
    .ping()
    .then(() => infra.health.ok("database", infra.db.describe))
    .catch((e: unknown) => infra.health.fail("database", errorMessage(e)).catch(() => undefined));
  if (infra.redis) {
    await infra.redis
      .ping()
      .then(() => infra.health.ok("redis", "connected"))
      .catch((e: unknown) => infra.health.fail("redis", errorMessage(e)).catch(() => undefined));
  }
}

/** Runs until SIGTERM/SIGINT, then shuts down within 30 s. */
export async function runUntilSignal(service: RunningService): Promise<void> {
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      const hard = setTimeout(() => {
        service.infra.log.error("shutdown took longer than 30 s: exiting");
        process.exit(1);
      }, SHUTDOWN_MS);
      hard.unref();
      service.stop(sig).finally(resolve);
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  });
}

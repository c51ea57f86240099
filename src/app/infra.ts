/**
 * The infrastructure of one process, built once from the configuration: database (Postgres or PGlite),
 * Redis or in-process coordination stores, logger, metrics, audit, health. Everything else is built on
 * top of it by the composition root (src/app/container.ts).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Redis } from "ioredis";
import { DbAuditLog } from "../adapters/db/audit-repo.js";
import { DbDecisionStore } from "../adapters/db/decision-repo.js";
import { DbFleetStore } from "../adapters/db/fleet-repo.js";
import { DbHealthStore } from "../adapters/db/health-repo.js";
import { type Database, describeDatabaseUrl, openDatabase } from "../adapters/db/orm.js";
import { DbTickLog } from "../adapters/db/tick-repo.js";
import { Metrics } from "../adapters/http/metrics.js";
import type { ReadinessCheck } from "../adapters/http/ops-server.js";
import { MemoryCacheStore, MemoryIdempotencyStore, MemoryLeaseStore } from "../adapters/kv/memory.js";
import { RedisCacheStore, RedisIdempotencyStore, RedisLeaseStore } from "../adapters/kv/redis.js";
import { createLogger, type Logger } from "../adapters/log/logger.js";
import { maskUrl } from "../config/mask.js";
import type { Config } from "../config/schema.js";
import { CodedError, errorMessage } from "../core/errors.js";
import { HealthService, MemoryHealthStore } from "../core/health/health.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../core/ports/clock.js";
import type { CacheStore, IdempotencyStore, LeaseStore } from "../core/ports/kv.js";
import { MemoryTickLog, type TickLog } from "../daemon/job.js";

export interface Infra {
  config: Config;
  log: Logger;
  clock: Clock;
  /** Identifies this replica in leases and logs. */
  replicaId: string;
  db: Database;
  redis: Redis | null;
  leases: LeaseStore;
  idempotency: IdempotencyStore;
  cache: CacheStore;
  metrics: Metrics;
  audit: DbAuditLog;
  health: HealthService;
  tickLog: TickLog;
  fleet: DbFleetStore;
  decisions: DbDecisionStore;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export interface InfraOptions {
  clock?: Clock;
  log?: Logger;
  /** Apply pending migrations on start (default true: the embedded default must just run). */
  migrate?: boolean;
  processMetrics?: boolean;
  /** Use this database instead of opening the configured one (tests); it is not closed by close(). */
  db?: Database;
  /**
   * Keep the tick log and component health in process instead of the database (`spotwise replay`: nothing
   * outside the process reads them, and they are most of a tick's writes).
   */
  opsInMemory?: boolean;
}

export async function openInfra(config: Config, opts: InfraOptions = {}): Promise<Infra> {
  const log = opts.log ?? createLogger({ level: config.env.LOG_LEVEL });
  const clock = opts.clock ?? systemClock;
  const replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ownDb = !opts.db;
  const where = describeDatabaseUrl(config.env.DATABASE_URL, config.env.SPOTWISE_DATA_DIR);
  // Redis first: the cheapest dependency to check, so a start without it fails in seconds
  const redis = config.env.REDIS_URL ? await connectRedis(config.env.REDIS_URL, log) : null;
  let db: Database;
  try {
    db =
      opts.db ??
      (await openDatabase({
        url: config.env.DATABASE_URL,
        dataDir: config.env.SPOTWISE_DATA_DIR,
        logger: (m) => log.debug({ component: "orm" }, m),
      }));
  } catch (e) {
    redis?.disconnect();
    throw new CodedError(
      "unavailable",
      `cannot open the database (${where}): ${errorMessage(e)}; check DATABASE_URL and that the database is running`,
      undefined,
      { cause: e },
    );
  }
  try {
    if (opts.migrate !== false) {
      // under an advisory lock on PostgreSQL: replicas started together migrate one after the other
      const { applied } = await db.migrate().catch((e: unknown) => {
        throw new CodedError(
          "unavailable",
          `cannot migrate the database (${db.describe}): ${errorMessage(e)}`,
          undefined,
          {
            cause: e,
          },
        );
      });
      if (applied.length) log.info({ applied, database: db.describe }, "migrations applied");
    }
  } catch (e) {
    redis?.disconnect();
    if (ownDb) await db.close().catch(() => undefined);
    throw e;
  }
  const now = () => clock.now();
  const healthStore = opts.opsInMemory ? new MemoryHealthStore() : new DbHealthStore(db);
  const infra: Infra = {
    config,
    log,
    clock,
    replicaId,
    db,
    redis,
    leases: redis ? new RedisLeaseStore(redis) : new MemoryLeaseStore(now),
    idempotency: redis ? new RedisIdempotencyStore(redis) : new MemoryIdempotencyStore(now),
    cache: redis ? new RedisCacheStore(redis) : new MemoryCacheStore(now),
    metrics: new Metrics({ processMetrics: opts.processMetrics }),
    audit: new DbAuditLog(db),
    health: new HealthService(healthStore, clock),
    tickLog: opts.opsInMemory ? new MemoryTickLog() : new DbTickLog(db),
    fleet: new DbFleetStore(db),
    decisions: new DbDecisionStore(db),
    readiness: [
      { name: "database", check: () => db.ping() },
      {
        name: "migrations",
        check: async () => {
          const { pending } = await db.migrationStatus();
          if (pending.length) throw new Error(`${pending.length} pending: run 'spotwise migrate'`);
        },
      },
      ...(redis
        ? [
            {
              name: "redis",
              check: async () => {
                await redis?.ping();
              },
            },
          ]
        : []),
    ],
    async close() {
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      if (ownDb) await db.close();
    },
  };
  return infra;
}

/** How long a start waits for Redis before it gives up (the orchestrator restarts the process). */
const REDIS_START_TIMEOUT_MS = 5_000;

/**
 * Connects to Redis and checks it answers, or fails with one line naming the (masked) URL. After the start,
 * ioredis reconnects on its own: an outage then turns /readyz red and skips fires instead of exiting.
 */
async function connectRedis(url: string, log: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: true,
    connectTimeout: REDIS_START_TIMEOUT_MS,
  });
  let lastError: Error | null = null;
  const onStartError = (e: Error) => {
    lastError = e;
  };
  redis.on("error", onStartError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(lastError ?? new Error(`no answer within ${REDIS_START_TIMEOUT_MS / 1000} s`)),
          REDIS_START_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (e) {
    redis.disconnect();
    const why = errorMessage(lastError ?? e) || "connection refused";
    throw new CodedError(
      "unavailable",
      `cannot reach Redis at ${maskUrl(url)}: ${why}; start Redis or fix REDIS_URL`,
      undefined,
      {
        cause: e,
      },
    );
  } finally {
    clearTimeout(timer);
    redis.off("error", onStartError);
  }
  let warned = 0;
  redis.on("error", (e) => {
    // one line per outage burst, not one per reconnect attempt
    if (Date.now() - warned < 30_000) return;
    warned = Date.now();
    log.warn({ component: "redis", error: errorMessage(e) }, "redis connection problem");
  });
  return redis;
}

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
import { type Database, openDatabase } from "../adapters/db/orm.js";
import { DbTickLog } from "../adapters/db/tick-repo.js";
import { Metrics } from "../adapters/http/metrics.js";
import type { ReadinessCheck } from "../adapters/http/ops-server.js";
import { MemoryCacheStore, MemoryIdempotencyStore, MemoryLeaseStore } from "../adapters/kv/memory.js";
import { RedisCacheStore, RedisIdempotencyStore, RedisLeaseStore } from "../adapters/kv/redis.js";
import { createLogger, type Logger } from "../adapters/log/logger.js";
import type { Config } from "../config/schema.js";
import { HealthService } from "../core/health/health.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../core/ports/clock.js";
import type { CacheStore, IdempotencyStore, LeaseStore } from "../core/ports/kv.js";

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
  tickLog: DbTickLog;
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
}

export async function openInfra(config: Config, opts: InfraOptions = {}): Promise<Infra> {
  const log = opts.log ?? createLogger({ level: config.env.LOG_LEVEL });
  const clock = opts.clock ?? systemClock;
  const replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ownDb = !opts.db;
  const db =
    opts.db ??
    (await openDatabase({
      url: config.env.DATABASE_URL,
      dataDir: config.env.SPOTWISE_DATA_DIR,
      logger: (m) => log.debug({ component: "orm" }, m),
    }));
  if (opts.migrate !== false) {
    const { applied } = await db.migrate();
    if (applied.length) log.info({ applied, database: db.describe }, "migrations applied");
  }
  let redis: Redis | null = null;
  if (config.env.REDIS_URL) {
    redis = new Redis(config.env.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    redis.on("error", (e) => log.warn({ err: e, component: "redis" }, "redis connection problem"));
  }
  const now = () => clock.now();
  const healthStore = new DbHealthStore(db);
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
    tickLog: new DbTickLog(db),
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
      redis?.disconnect();
      if (ownDb) await db.close();
    },
  };
  return infra;
}

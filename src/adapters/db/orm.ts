/**
 * Opens the database: PostgreSQL when DATABASE_URL is postgres://, PGlite (same dialect, same migrations)
 * otherwise: file-backed under the data directory, or in memory for pglite://memory.
 * One `openDatabase()` per process (mikro-orm/guide's initORM); every unit of work forks its own EM.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { type EntityManager, MikroORM, type Options } from "@mikro-orm/core";
import type { AbstractSqlConnection } from "@mikro-orm/knex";
import { Migrator } from "@mikro-orm/migrations";
import { PostgreSqlDriver } from "@mikro-orm/postgresql";
import { type PGliteConnectionConfig, PGliteDriver } from "mikro-orm-pglite";
import { migrationsList } from "../../../migrations/index.js";
import { maskUrl } from "../../config/mask.js";
import {
  AccountEntity,
  ApprovalEntity,
  DecisionEntity,
  ManagedInstanceEntity,
  ModelEntity,
  PredictionEntity,
  RecommendationEntity,
} from "./entities.js";
import {
  AuditEventEntity,
  CircuitBreakerEntity,
  ComponentHealthEntity,
  ControlSettingEntity,
  SwitchExecutionEntity,
  SwitchStepEntity,
  TickRunEntity,
} from "./entities-ops.js";

export const entities = [
  AccountEntity,
  ManagedInstanceEntity,
  ModelEntity,
  PredictionEntity,
  DecisionEntity,
  RecommendationEntity,
  ApprovalEntity,
  SwitchExecutionEntity,
  SwitchStepEntity,
  AuditEventEntity,
  ComponentHealthEntity,
  CircuitBreakerEntity,
  ControlSettingEntity,
  TickRunEntity,
];

export interface Database {
  orm: MikroORM;
  /** A fresh entity manager for one unit of work. */
  em(): EntityManager;
  /** "postgres" or "pglite", with where it lives (password masked). */
  describe: string;
  migrate(): Promise<{ applied: string[] }>;
  migrateDown(): Promise<{ reverted: string[] }>;
  migrationStatus(): Promise<{ executed: string[]; pending: string[] }>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://…, pglite://memory, pglite:///abs/path, or undefined for PGlite under dataDir. */
  url?: string;
  dataDir?: string;
  debug?: boolean;
  /** Receives the ORM's and the migrator's log lines (default: dropped). */
  logger?: (message: string) => void;
}

/** Where a database URL points, for logs, health and `/spot status`: any password masked. */
export function describeDatabaseUrl(url: string | undefined, dataDir = ".spotwise"): string {
  if (url && /^postgres(ql)?:\/\//.test(url)) return `postgres ${maskUrl(url)}`;
  if (url === "pglite://memory") return "pglite (in memory)";
  if (url?.startsWith("pglite://")) return `pglite ${url.slice("pglite://".length)}`;
  return `pglite ${resolve(dataDir, "pgdata")}`;
}

/** pg_advisory_xact_lock key that serialises migrations across processes ("spot" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x73706f74;

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const common: Partial<Options> = {
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    debug: opts.debug ?? false,
    logger: opts.logger ?? (() => {}),
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: true },
  };
  let orm: MikroORM;
  let describe: string;
  let pglite: PGlite | undefined;
  if (opts.url && /^postgres(ql)?:\/\//.test(opts.url)) {
    orm = await MikroORM.init({
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: opts.url,
      pool: { min: 0, max: 10 },
      // an unreachable host fails the start in seconds instead of hanging on the TCP connect
      driverOptions: { connection: { connectionTimeoutMillis: 5_000 } },
    });
    describe = describeDatabaseUrl(opts.url);
  } else {
    let dir: string | undefined;
    if (opts.url === "pglite://memory") dir = undefined;
    else if (opts.url?.startsWith("pglite://")) dir = opts.url.slice("pglite://".length);
    else dir = resolve(opts.dataDir ?? ".spotwise", "pgdata");
    if (dir) mkdirSync(dir, { recursive: true });
    const db = dir ? new PGlite(dir) : new PGlite();
    pglite = db;
    orm = await MikroORM.init({
      ...common,
      driver: PGliteDriver,
      dbName: "postgres",
      driverOptions: { connection: { pglite: () => db } satisfies PGliteConnectionConfig },
    });
    describe = dir ? `pglite ${dir}` : "pglite (in memory)";
  }
  const migrator = () => orm.getMigrator();
  const postgres = !pglite;
  /**
   * Runs `fn` while holding the migration lock: on PostgreSQL a transaction-scoped advisory lock on its own
   * connection, so replicas started together on an empty database migrate one after the other (the lock goes
   * with the session if the process dies). PGlite is one process's own database: nothing to serialise.
   */
  const underMigrationLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (!postgres) return fn();
    const knex = (orm.em.getConnection() as AbstractSqlConnection).getKnex();
    return knex.transaction(async (trx) => {
      await trx.raw("select pg_advisory_xact_lock(?)", [MIGRATION_LOCK_KEY]);
      return fn();
    });
  };
  return {
    orm,
    describe,
    em: () => orm.em.fork(),
    async migrate() {
      const done = await underMigrationLock(() => migrator().up());
      return { applied: done.map((m) => m.name) };
    },
    async migrateDown() {
      const done = await underMigrationLock(() => migrator().down());
      return { reverted: done.map((m) => m.name) };
    },
    async migrationStatus() {
      const executed = (await migrator().getExecutedMigrations()).map((m) => m.name);
      const pending = (await migrator().getPendingMigrations()).map((m) => m.name);
      return { executed, pending };
    },
    async ping() {
      await orm.em.getConnection().execute("select 1");
    },
    async close() {
      await orm.close(true);
      if (pglite && !pglite.closed) await pglite.close();
    },
  };
}

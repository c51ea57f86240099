/**
 * Real services for integration tests. With DATABASE_URL / REDIS_URL set, tests use the real PostgreSQL
 * and Redis; without them, PGlite in memory and the in-process adapters. With SPOTWISE_REQUIRE_SERVICES=1
 * (CI), a missing or unreachable service FAILS the test instead of quietly falling back.
 */
import { randomUUID } from "node:crypto";
import { type Database, openDatabase } from "../../src/adapters/db/orm.js";

export const requireServices = process.env.SPOTWISE_REQUIRE_SERVICES === "1";

function postgresUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  if (url && /^postgres(ql)?:\/\//.test(url)) return url;
  if (requireServices) {
    throw new Error(
      "SPOTWISE_REQUIRE_SERVICES=1 but DATABASE_URL is not a postgres:// URL: start PostgreSQL and set it",
    );
  }
  return undefined;
}

/** The Redis URL to test against, or undefined for in-process only. */
export function redisUrl(): string | undefined {
  const url = process.env.REDIS_URL;
  if (url) return url;
  if (requireServices) throw new Error("SPOTWISE_REQUIRE_SERVICES=1 but REDIS_URL is not set: start Redis and set it");
  return undefined;
}

/** What a suite runs against, for the test output. */
export function backendLabel(): string {
  return postgresUrl() ? "postgres" : "pglite";
}

/**
 * A migrated, empty database for one test file: a fresh PostgreSQL database (dropped on dispose)
 * when DATABASE_URL is set, otherwise PGlite in memory.
 */
export async function testDatabase(): Promise<Database & { dispose(): Promise<void> }> {
  const base = postgresUrl();
  if (!base) {
    const db = await openDatabase({ url: "pglite://memory" });
    await db.migrate();
    return Object.assign(db, { dispose: () => db.close() });
  }
  const name = `spotwise_t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await adminQuery(base, `create database "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  await db.migrate();
  return Object.assign(db, {
    async dispose() {
      await db.close();
      await adminQuery(base, `drop database if exists "${name}" with (force)`);
    },
  });
}

/** The URL of a new, empty PostgreSQL database (dropped on dispose), or null without DATABASE_URL. */
export async function emptyPostgresDatabase(): Promise<{ url: string; dispose(): Promise<void> } | null> {
  const base = postgresUrl();
  if (!base) return null;
  const name = `spotwise_t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await adminQuery(base, `create database "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dispose: () => adminQuery(base, `drop database if exists "${name}" with (force)`),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const admin = await openDatabase({ url });
  try {
    await admin.orm.em.getConnection().execute(sql);
  } finally {
    await admin.close();
  }
}

/**
 * Says once, at the top of the test output, which backends the integration tests use, and fails the run
 * at once when CI asked for real services (SPOTWISE_REQUIRE_SERVICES=1) that do not answer.
 */
import { Redis } from "ioredis";
import { openDatabase } from "../../src/adapters/db/orm.js";

export default async function setup(): Promise<void> {
  const required = process.env.SPOTWISE_REQUIRE_SERVICES === "1";
  const pgUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  const lines: string[] = [];
  if (pgUrl && /^postgres/.test(pgUrl)) {
    const db = await openDatabase({ url: pgUrl });
    try {
      const [row] = await db.orm.em.getConnection().execute<{ version: string }[]>("select version() as version");
      lines.push(
        `PostgreSQL: ${pgUrl.replace(/(\/\/[^:/@]+:)[^@]+@/, "$1****@")} (${String(row?.version).split(",")[0]})`,
      );
    } catch (e) {
      throw new Error(`DATABASE_URL is set but PostgreSQL does not answer: ${(e as Error).message}`);
    } finally {
      await db.close();
    }
  } else if (required) {
    throw new Error("SPOTWISE_REQUIRE_SERVICES=1 but DATABASE_URL is not a postgres:// URL");
  } else {
    lines.push("PostgreSQL: not configured, integration tests use PGlite in memory");
  }
  if (redisUrl) {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const info = await redis.info("server");
      lines.push(`Redis: ${redisUrl} (${info.match(/redis_version:(\S+)/)?.[1] ?? "?"})`);
    } catch (e) {
      throw new Error(`REDIS_URL is set but Redis does not answer: ${(e as Error).message}`);
    } finally {
      redis.disconnect();
    }
  } else if (required) {
    throw new Error("SPOTWISE_REQUIRE_SERVICES=1 but REDIS_URL is not set");
  } else {
    lines.push("Redis: not configured, the Redis adapter suites are skipped and in-process adapters are tested");
  }
  process.stdout.write(`\nspotwise integration backends:\n  ${lines.join("\n  ")}\n\n`);
}

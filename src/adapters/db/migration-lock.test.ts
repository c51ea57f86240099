/**
 * Replicas started together on an empty PostgreSQL database: every start migrates, under an advisory lock, so
 * concurrent migrations neither collide (duplicate pg_type rows, "relation already exists") nor fail.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawnSpotwise } from "../../../test/support/process.js";
import { emptyPostgresDatabase, requireServices } from "../../../test/support/services.js";
import { openDatabase } from "./orm.js";

const hasPostgres = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "") || requireServices;

describe.runIf(hasPostgres)("migrations on an empty PostgreSQL database", { timeout: 180_000 }, () => {
  const disposers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const d of disposers) await d();
  });

  it("three concurrent migrate calls all succeed and apply each migration once", async () => {
    const empty = await emptyPostgresDatabase();
    if (!empty) throw new Error("DATABASE_URL is not a postgres:// URL");
    disposers.push(empty.dispose);
    const dbs = await Promise.all([0, 1, 2].map(() => openDatabase({ url: empty.url })));
    try {
      const results = await Promise.all(dbs.map((db) => db.migrate()));
      // one of them applied everything, the others found nothing left to do
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, expect.any(Number)].sort());
      expect(results.flatMap((r) => r.applied).length).toBeGreaterThan(0);
      const status = await dbs[0].migrationStatus();
      expect(status.pending).toEqual([]);
      const [row] = await dbs[0].orm.em
        .getConnection()
        .execute<{ n: string }[]>("select count(*) as n from mikro_orm_migrations");
      expect(Number(row.n)).toBe(status.executed.length);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });

  it("three `spotwise migrate` processes started at once all exit 0", async () => {
    const empty = await emptyPostgresDatabase();
    if (!empty) throw new Error("DATABASE_URL is not a postgres:// URL");
    disposers.push(empty.dispose);
    const procs = [0, 1, 2].map(() => spawnSpotwise(["migrate"], { DATABASE_URL: empty.url, LOG_LEVEL: "warn" }));
    const exits = await Promise.all(procs.map((p) => p.exited(150_000)));
    for (const [i, e] of exits.entries())
      expect({ code: e.code, stderr: procs[i].stderr() }).toEqual({ code: 0, stderr: "" });
    const outputs = procs.map((p) => p.stdout());
    expect(outputs.filter((o) => o.startsWith("applied "))).toHaveLength(1);
    expect(outputs.filter((o) => o.startsWith("schema up to date"))).toHaveLength(2);
  });
});

/**
 * Three replicas started at once on an empty PostgreSQL database (a rolling deploy, a scale-up from zero): all
 * migrate, seed the shipped champion model once between them, become ready and stop cleanly.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnSpotwise } from "../../test/support/process.js";
import { emptyPostgresDatabase, requireServices } from "../../test/support/services.js";
import { openDatabase } from "../adapters/db/orm.js";

const hasPostgres = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "") || requireServices;

describe.runIf(hasPostgres)("replicas started together on an empty database", { timeout: 240_000 }, () => {
  const disposers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const d of disposers) await d();
  });

  it("three `spotwise daemon` started at once all become ready, then stop cleanly", async () => {
    const empty = await emptyPostgresDatabase();
    if (!empty) throw new Error("DATABASE_URL is not a postgres:// URL");
    disposers.push(empty.dispose);
    const dataDir = mkdtempSync(join(tmpdir(), "spotwise-replicas-"));
    const procs = [0, 1, 2].map(() =>
      spawnSpotwise(["daemon"], {
        DATABASE_URL: empty.url,
        ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
        SPOTWISE_DATA_DIR: dataDir,
        PORT: "0",
        LOG_LEVEL: "warn",
      }),
    );
    try {
      const ports = await Promise.all(procs.map((p) => p.waitFor(/listening on :(\d+)/, 150_000)));
      for (const m of ports) {
        const res = await fetch(`http://127.0.0.1:${m[1]}/readyz`);
        expect({ status: res.status, body: await res.json() }).toMatchObject({ status: 200, body: { ready: true } });
      }
      for (const p of procs) p.child.kill("SIGTERM");
      const exits = await Promise.all(procs.map((p) => p.exited(60_000)));
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    } finally {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    }
    // one champion from the shipped default model, however the three raced to seed it
    const db = await openDatabase({ url: empty.url });
    try {
      const rows: Array<{ name: string; version: number; status: string }> = await db.orm.em
        .getConnection()
        .execute("select name, version, status from model order by version");
      expect(rows.filter((r) => r.status === "champion")).toHaveLength(1);
      expect(rows).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});

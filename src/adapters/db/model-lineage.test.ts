/**
 * Model identity and first-run seeding over the real database (PostgreSQL with DATABASE_URL, PGlite otherwise):
 * a rebuild of a registered model (same graph, other volatile metadata) and a byte-identical copy are recognised;
 * three daemons seeding an empty database at once end with exactly one `default v1` champion.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODEL_PATH } from "../../../test/adapters/onnx-fixtures.js";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { ModelRegistry } from "../../core/models/registry.js";
import { DEFAULT_MAX_MODEL_BYTES, validateModel } from "../../core/models/validate.js";
import { MemoryAuditLog } from "../../core/ports/audit.js";
import { ManualClock } from "../../core/ports/clock.js";
import { concatBytes, encodeLenField, ProtoReader } from "../onnx/protobuf.js";
import { OnnxModelLoader } from "../onnx/runner.js";
import { DbModelRepository } from "./model-repo.js";
import { type Database, openDatabase } from "./orm.js";

const loader = new OnnxModelLoader();
const validate = (b: Uint8Array) =>
  validateModel(b, { describe: (x) => loader.describe(x), loader, maxBytes: DEFAULT_MAX_MODEL_BYTES });
const shipped = new Uint8Array(readFileSync(DEFAULT_MODEL_PATH));

/** The same model re-exported with another volatile metadata entry (what a retrain an hour later gives). */
function rebuilt(bytes: Uint8Array, trainedAt: string): Uint8Array {
  const text = (s: string) => new TextEncoder().encode(s);
  const entry = concatBytes([encodeLenField(1, text("spotwise.rebuilt_at")), encodeLenField(2, text(trainedAt))]);
  return concatBytes([bytes, encodeLenField(14, entry)]);
}

/** The same graph with some metadata entries removed (what a file exported by an older spotwise looks like). */
function withoutMetadata(bytes: Uint8Array, keys: string[]): Uint8Array {
  const r = new ProtoReader(bytes);
  const parts: Uint8Array[] = [];
  while (!r.eof()) {
    const start = r.pos;
    const { field, wire } = r.tag();
    let drop = false;
    if (field === 14 && wire === 2) {
      const m = r.sub();
      m.tag();
      drop = keys.includes(m.string());
    } else r.skip(wire);
    if (!drop) parts.push(bytes.subarray(start, r.pos));
  }
  return concatBytes(parts);
}

let db: Awaited<ReturnType<typeof testDatabase>>;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db?.dispose();
});

function registry(on: Database, audit = new MemoryAuditLog()) {
  return new ModelRegistry({
    repo: new DbModelRepository(on),
    audit,
    clock: new ManualClock(Date.UTC(2026, 10, 30, 12)),
    validate,
    describe: (b) => loader.describe(b),
  });
}

describe(`model identity (${backendLabel()})`, () => {
  it("recognises a rebuild of a registered model and a byte-identical copy under another name", async () => {
    await db.orm.em.getConnection().execute("delete from model");
    const reg = registry(db);
    const first = await reg.add({ bytes: shipped, name: "default", addedBy: "cli:alice" });
    expect(first.model.identity).toMatch(/^[0-9a-f]{64}$/);
    expect(first.model.lineage).toMatchObject({ trainingDataSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const again = rebuilt(shipped, "2026-12-01T00:00:00Z");
    expect(Buffer.compare(Buffer.from(again), Buffer.from(shipped))).not.toBe(0);
    await expect(reg.add({ bytes: again, name: "default", addedBy: "cli:bob" })).rejects.toThrow(
      /already registered as default v1 .*only volatile metadata/,
    );
    await expect(reg.add({ bytes: shipped, name: "copy", addedBy: "cli:bob" })).rejects.toThrow(
      /already registered as default v1 .*same bytes/,
    );
    expect((await reg.list()).map((m) => `${m.name} v${m.version}`)).toEqual(["default v1"]);
  });

  it("fills the identity of rows registered before identities existed, then recognises their rebuilds", async () => {
    await db.orm.em.getConnection().execute("delete from model");
    const reg = registry(db);
    const { model } = await reg.add({ bytes: shipped, name: "default", addedBy: "cli:alice" });
    await db.orm.em.getConnection().execute("update model set identity = null where id = ?", [model.id]);
    await expect(reg.add({ bytes: rebuilt(shipped, "later"), name: "default", addedBy: "cli:bob" })).rejects.toThrow(
      /already registered as default v1/,
    );
    expect((await reg.show(model.id)).identity).toBe(model.identity);
  });
});

describe(`ensureChampion under a race (${backendLabel()})`, () => {
  it("three daemons starting at once on an empty database: one default v1 champion, all succeed", async () => {
    await db.orm.em.getConnection().execute("delete from model");
    // with PostgreSQL each daemon has its own connection pool, as separate processes would
    const url = process.env.DATABASE_URL;
    const dbs: Database[] = [];
    if (url && /^postgres(ql)?:\/\//.test(url)) {
      const name = await db.orm.em.getConnection().execute<{ current_database: string }[]>("select current_database()");
      const u = new URL(url);
      u.pathname = `/${name[0].current_database}`;
      for (let i = 0; i < 3; i++) dbs.push(await openDatabase({ url: u.toString() }));
    } else {
      dbs.push(db, db, db);
    }
    try {
      const audits = dbs.map(() => new MemoryAuditLog());
      const results = await Promise.all(
        dbs.map((d, i) => registry(d, audits[i]).ensureChampion(shipped, `daemon-${i}`)),
      );
      const ids = new Set(results.map((r) => r?.id));
      expect(ids.size).toBe(1);
      expect(results[0]).toMatchObject({ name: "default", version: 1, status: "champion" });
      const rows = await new DbModelRepository(db).list();
      expect(rows.map((m) => `${m.name} v${m.version} ${m.status}`)).toEqual(["default v1 champion"]);
      const added = audits.flatMap((a) => a.events.filter((e) => e.action === "model.added"));
      expect(added).toHaveLength(1);
      // later starts change nothing
      expect((await registry(db).ensureChampion(shipped, "daemon-late"))?.id).toBe(results[0]?.id);
    } finally {
      if (dbs[0] !== db) for (const d of dbs) await d.close();
    }
  });

  it("after an upgrade, a shipped champion whose stored file predates the checks is replaced by the same graph", async () => {
    await db.orm.em.getConnection().execute("delete from model");
    const old = withoutMetadata(shipped, ["spotwise.positive_class", "spotwise.training_ranges"]);
    expect(old.length).toBeLessThan(shipped.length);
    // registered by an older spotwise: stored as is
    const repo = new DbModelRepository(db);
    const legacy = await repo.insertSeedChampion({
      id: randomUUID(),
      name: "default",
      sha256: "1".repeat(64),
      identity: "1".repeat(64),
      lineage: {},
      sizeBytes: old.length,
      contractVersion: "spotwise-features/1",
      featureNames: (await validate(shipped)).featureNames,
      metrics: {},
      addedBy: "spotwise",
      at: Date.UTC(2026, 10, 1),
      content: old,
    });
    const audit = new MemoryAuditLog();
    const champion = await registry(db, audit).ensureChampion(shipped, "spotwise");
    expect(champion).toMatchObject({ name: "default", version: 2, status: "champion", previousChampionId: legacy?.id });
    expect(audit.events.map((e) => e.action)).toEqual(["model.added", "model.metadata_upgraded"]);
    expect(String(audit.events[1].detail?.why)).toMatch(/declares no positive class/);
    // the next start changes nothing
    expect((await registry(db).ensureChampion(shipped, "spotwise"))?.id).toBe(champion?.id);
  });

  it("keeps the operator's choice: no champion is seeded when the default was retired or rejected", async () => {
    await db.orm.em.getConnection().execute("delete from model");
    const reg = registry(db);
    const seeded = await reg.ensureChampion(shipped, "daemon");
    await db.orm.em
      .getConnection()
      .execute("update model set status = 'rejected' where id = ?", [seeded?.id ?? randomUUID()]);
    expect(await reg.ensureChampion(shipped, "daemon")).toBeNull();
  });
});

/** The registry over the real database (PostgreSQL with DATABASE_URL, PGlite otherwise) and over the memory repo. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureBytes } from "../../../test/adapters/onnx-fixtures.js";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { MemoryModelRepository } from "../../core/models/memory-model-repo.js";
import type { ModelRepository } from "../../core/models/model-repository.js";
import { ModelRegistry } from "../../core/models/registry.js";
import { DEFAULT_MAX_MODEL_BYTES, validateModel } from "../../core/models/validate.js";
import { MemoryAuditLog } from "../../core/ports/audit.js";
import { ManualClock } from "../../core/ports/clock.js";
import { OnnxModelLoader } from "../onnx/runner.js";
import { DbModelRepository } from "./model-repo.js";

const loader = new OnnxModelLoader();
const validate = (b: Uint8Array) =>
  validateModel(b, { describe: (x) => loader.describe(x), loader, maxBytes: DEFAULT_MAX_MODEL_BYTES });

type Db = Awaited<ReturnType<typeof testDatabase>>;
let db: Db;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db?.dispose();
});

const modelsDir = mkdtempSync(join(tmpdir(), "spotwise-models-"));
afterAll(() => rmSync(modelsDir, { recursive: true, force: true }));

const suites: [string, () => ModelRepository][] = [
  [`db (${backendLabel()})`, () => new DbModelRepository(db)],
  [`db (${backendLabel()}) with a models directory`, () => new DbModelRepository(db, { dir: modelsDir })],
  ["memory", () => new MemoryModelRepository()],
];

describe.each(suites)("ModelRegistry on %s", (label, makeRepo) => {
  let registry: ModelRegistry;
  let audit: MemoryAuditLog;
  let repo: ModelRepository;
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));

  beforeAll(async () => {
    if (db) await db.orm.em.getConnection().execute("delete from model");
    repo = makeRepo();
    audit = new MemoryAuditLog();
    registry = new ModelRegistry({ repo, audit, clock, validate });
  });

  it("adds validated models with a version per name, sha256, size and who added them; content round-trips", async () => {
    const a = await registry.add({ bytes: fixtureBytes("prob2"), name: "trees", addedBy: "cli:alice" });
    const b = await registry.add({ bytes: fixtureBytes("zipmap"), name: "trees", addedBy: "cli:bob" });
    const c = await registry.add({ bytes: fixtureBytes("vector"), name: "linear", addedBy: "cli:alice" });
    expect([a.model.version, b.model.version, c.model.version]).toEqual([1, 2, 1]);
    expect(a.model).toMatchObject({
      status: "candidate",
      addedBy: "cli:alice",
      contractVersion: "spotwise-features/1",
    });
    expect(a.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Array.from((await registry.content(b.model.id)) ?? [])).toEqual(Array.from(fixtureBytes("zipmap")));
    // with a models directory the file is stored there, content-addressed
    if (label.includes("directory")) expect(existsSync(join(modelsDir, `${b.model.sha256}.onnx`))).toBe(true);
    expect((await registry.list()).map((m) => `${m.name}@${m.version}`)).toEqual(["linear@1", "trees@1", "trees@2"]);
    expect(audit.events.map((e) => e.action)).toEqual(["model.added", "model.added", "model.added"]);
  });

  it("refuses invalid files, bad names and duplicates, storing nothing", async () => {
    await expect(registry.add({ bytes: fixtureBytes("wrong_width"), name: "x", addedBy: "a" })).rejects.toThrow(
      /width 10/,
    );
    await expect(registry.add({ bytes: fixtureBytes("prob2"), name: "bad name!", addedBy: "a" })).rejects.toThrow(
      /model name "bad name!" is not valid/,
    );
    await expect(registry.add({ bytes: fixtureBytes("prob2"), name: "trees", addedBy: "a" })).rejects.toThrow(
      /already registered as trees v1/,
    );
    expect(await registry.list()).toHaveLength(3);
  });

  it("promotes atomically with exactly one champion, audits it, and rolls back to the previous champion", async () => {
    const first = await registry.promote("trees@1", "cli:alice");
    expect(first.champion.status).toBe("champion");
    expect(first.previous).toBeNull();
    const second = await registry.promote("linear", "cli:bob");
    expect(second.previous).toMatchObject({ name: "trees", version: 1, status: "retired" });
    expect(second.champion.previousChampionId).toBe(first.champion.id);
    expect(await registry.list({ statuses: ["champion"] })).toHaveLength(1);
    const promoted = audit.events.filter((e) => e.action === "model.promoted");
    expect(promoted.map((e) => e.actor)).toEqual(["cli:alice", "cli:bob"]);

    const back = await registry.rollback("cli:carol");
    expect(back.champion).toMatchObject({ name: "trees", version: 1, status: "champion" });
    expect(back.retired).toMatchObject({ name: "linear", status: "retired" });
    expect(await registry.list({ statuses: ["champion"] })).toHaveLength(1);
    expect(audit.events.at(-1)).toMatchObject({ action: "model.rolled_back", actor: "cli:carol" });
    await expect(registry.rollback("cli:carol")).rejects.toThrow(/has no previous champion/);
  });

  it("shadows, rejects and refuses to reject the champion", async () => {
    const s = await registry.setShadow("trees@2", true, "cli:alice");
    expect(s.status).toBe("shadow");
    expect((await registry.shadows()).map((m) => m.version)).toEqual([2]);
    await expect(registry.reject("trees@1", "cli:alice")).rejects.toThrow(/is the champion/);
    const r = await registry.reject("trees@2", "cli:alice", "worse Brier");
    expect(r.status).toBe("rejected");
    await expect(registry.promote("trees@2", "cli:alice")).rejects.toThrow(/was rejected/);
    expect(await registry.shadows()).toHaveLength(0);
  });

  it("a stale status change fails with a conflict and changes nothing", async () => {
    const linear = await registry.show("linear");
    await expect(
      repo.transition(
        [
          { id: linear.id, from: "retired", to: "champion" },
          { id: linear.id, from: "candidate", to: "shadow" },
        ],
        clock.now(),
      ),
    ).rejects.toMatchObject({ code: "conflict" });
    expect((await registry.show("linear")).status).toBe("retired");
    // a second champion is refused even when the caller's expectation holds
    await expect(
      repo.transition([{ id: linear.id, from: "retired", to: "champion" }], clock.now()),
    ).rejects.toMatchObject({
      code: "conflict",
    });
    expect(await registry.list({ statuses: ["champion"] })).toHaveLength(1);
  });

  it("finds a lab subject's model by name and shows unknown refs as not_found", async () => {
    expect(await registry.forLabName("trees")).toMatchObject({ version: 1 });
    expect(await registry.forLabName("nope")).toBeNull();
    await expect(registry.show("nope")).rejects.toMatchObject({ code: "not_found" });
  });
});

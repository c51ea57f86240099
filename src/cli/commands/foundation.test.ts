import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { openDatabase } from "../../adapters/db/orm.js";
import { memoryIo } from "../io.js";
import { runCli } from "../program.js";

describe("spotwise CLI frame", () => {
  it("prints help and exits 0 with --help on every command", async () => {
    for (const argv of [["--help"], ["migrate", "--help"], ["config", "check", "--help"]]) {
      const io = memoryIo();
      expect(await runCli(argv, io)).toBe(0);
      expect(io.out.join("")).toMatch(/Usage: spotwise/);
    }
  });

  it("exits 2 with a one-line error on an unknown command or bad argument", async () => {
    const io = memoryIo();
    expect(await runCli(["frobnicate"], io)).toBe(2);
    expect(io.err.join("")).toMatch(/unknown command 'frobnicate'/);
    const io2 = memoryIo();
    expect(await runCli(["migrate", "sideways"], io2)).toBe(2);
    expect(io2.err.join("")).toMatch(/use up, down or status/);
  });

  it("config check prints the masked configuration, or lists every problem and exits 1", async () => {
    const ok = memoryIo({ SLACK_BOT_TOKEN: "xoxb-secret-token", SLACK_SIGNING_SECRET: "abcdef123" });
    expect(await runCli(["config", "check"], ok)).toBe(0);
    expect(ok.out.join("")).not.toContain("secret-token");
    expect(JSON.parse(ok.out.join("")).env.SPOTWISE_MODE).toBe("shadow");

    const bad = memoryIo({ SPOTWISE_MODE: "yolo", PORT: "-1", REDIS_URL: "localhost" });
    expect(await runCli(["config", "check"], bad)).toBe(1);
    const err = bad.err.join("\n");
    expect(err).toMatch(/3 problem/);
    for (const v of ["SPOTWISE_MODE", "PORT", "REDIS_URL"]) expect(err).toContain(`- ${v}:`);
  });

  it("config check warns, exit 0, when Slack is set up with nobody allowed to approve or pause", async () => {
    const slack = { SLACK_BOT_TOKEN: "xoxb-secret-token", SLACK_SIGNING_SECRET: "abcdef123" };
    const none = memoryIo(slack);
    expect(await runCli(["config", "check"], none)).toBe(0);
    const err = none.err.join("\n");
    expect(err).toMatch(/warning: SLACK_ADMINS, SLACK_ADMIN_GROUP: no Slack admins: nobody can pause/);
    expect(err).toMatch(/warning: SLACK_APPROVERS, SLACK_APPROVER_GROUP: no Slack approvers/);

    const staffed = memoryIo({ ...slack, SLACK_ADMINS: "U1", SLACK_APPROVER_GROUP: "S1" });
    expect(await runCli(["config", "check"], staffed)).toBe(0);
    expect(staffed.err.join("")).toBe("");

    const lonely = memoryIo({ SPOTWISE_MODE: "approve", REDIS_URL: "redis://127.0.0.1:6379/0" });
    expect(await runCli(["config", "check"], lonely)).toBe(0);
    const w = lonely.err.join("\n");
    expect(w).toMatch(/SPOTWISE_MODE=approve without SLACK_BOT_TOKEN/);
    expect(w).toMatch(/DATABASE_URL: REDIS_URL is set but DATABASE_URL is not/);
  });
});

describe(`spotwise migrate on ${backendLabel()}`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
    // start from an empty schema: revert every migration, newest first
    while ((await db.migrateDown()).reverted.length > 0) {
      // one migration per call
    }
  });
  afterAll(async () => db?.dispose());

  it("creates the schema on an empty database and changes nothing the second time", async () => {
    const url = db.orm.config.get("clientUrl") as string | undefined;
    const env = url?.startsWith("postgres") ? { DATABASE_URL: url } : null;
    // PGlite: use a file-backed data directory so the CLI's separate connection sees the same database
    const dataDir = mkdtempSync(join(tmpdir(), "spotwise-migrate-"));
    const cliEnv = env ?? { SPOTWISE_DATA_DIR: dataDir };
    const first = memoryIo(cliEnv);
    expect(await runCli(["migrate"], first)).toBe(0);
    expect(first.out.join("")).toMatch(/applied \d+ migration\(s\) .*Migration20261128000000_initial/);
    const second = memoryIo(cliEnv);
    expect(await runCli(["migrate", "up"], second)).toBe(0);
    expect(second.out.join("")).toMatch(/schema up to date/);
    const status = memoryIo(cliEnv);
    expect(await runCli(["migrate", "status"], status)).toBe(0);
    expect(status.out.join("\n")).toMatch(/applied\s+Migration20261128000000_initial/);

    const check = await openDatabase(env ? { url: env.DATABASE_URL } : { dataDir });
    try {
      const tables = await check.orm.em
        .getConnection()
        .execute<{ table_name: string }[]>(
          "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
        );
      const names = (tables as Array<{ table_name: string }>).map((t) => t.table_name);
      for (const t of [
        "account",
        "model",
        "decision",
        "switch_execution",
        "switch_step",
        "audit_event",
        "mikro_orm_migrations",
      ]) {
        expect(names).toContain(t);
      }
    } finally {
      await check.close();
    }
  });
});

/**
 * The models / experiments / risk-eval commands in-process, against a real database: a fresh PostgreSQL database
 * when DATABASE_URL is postgres://, else a file-backed PGlite (each command opens and closes the database).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODEL_PATH, fixturePath } from "../../../test/adapters/onnx-fixtures.js";
import { sharedDataPath } from "../../../test/support/shared-data.js";
import { DbAuditLog } from "../../adapters/db/audit-repo.js";
import { DbModelRepository } from "../../adapters/db/model-repo.js";
import { openDatabase } from "../../adapters/db/orm.js";
import { DbPredictionRepository } from "../../adapters/db/prediction-repo.js";
import { memoryIo } from "../io.js";
import { runCli } from "../program.js";

const dir = mkdtempSync(join(tmpdir(), "spotwise-models-cli-"));
const pg =
  process.env.DATABASE_URL && /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL)
    ? process.env.DATABASE_URL
    : undefined;
const dbName = `spotwise_cli_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
let url: string;

async function admin(sql: string): Promise<void> {
  const a = await openDatabase({ url: pg });
  try {
    await a.orm.em.getConnection().execute(sql);
  } finally {
    await a.close();
  }
}

beforeAll(async () => {
  if (pg) {
    await admin(`create database "${dbName}"`);
    const u = new URL(pg);
    u.pathname = `/${dbName}`;
    url = u.toString();
  } else {
    url = `pglite://${join(dir, "pg")}`;
  }
});
afterAll(async () => {
  if (pg) await admin(`drop database if exists "${dbName}" with (force)`);
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  const io = memoryIo({ DATABASE_URL: url, SPOTWISE_DATA_DIR: dir, SPOTWISE_ACTOR: "alice" });
  const code = await runCli(argv, io);
  return { code, out: io.out.join("\n"), err: io.err.join("\n") };
}

describe("spotwise models validate", () => {
  it("exits 0 with a JSON summary for a valid model", async () => {
    const r = await run("models", "validate", fixturePath("zipmap"));
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ ok: true, contractVersion: "spotwise-features/1", output: { kind: "zipmap" } });
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a file over the configured size cap (config models.maxBytes)", async () => {
    const cfg = join(dir, "small-cap.yaml");
    writeFileSync(cfg, "models:\n  maxBytes: 2048\n");
    const io = memoryIo({ SPOTWISE_CONFIG: cfg });
    const code = await runCli(["models", "validate", fixturePath("prob2")], io);
    expect(code).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(
      /^spotwise: model is 5\.\d KB \(\d+ bytes\), over the 2\.0 KB cap: shrink it or raise models\.maxBytes/,
    );
  });

  it("exits 2 with one clear line for a broken model or a missing file", async () => {
    const r = await run("models", "validate", fixturePath("wrong_width"));
    expect(r.code).toBe(2);
    expect(r.err).toBe('spotwise: model input "input" has width 10 but contract spotwise-features/1 has 24 features');
    const g = await run("models", "validate", fixturePath("garbage"));
    expect(g.code).toBe(2);
    expect(g.err.split("\n")).toHaveLength(1);
    expect(g.err).toMatch(/^spotwise: not an ONNX model/);
    const m = await run("models", "validate", join(dir, "nope.onnx"));
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/^spotwise models validate: cannot read .*nope\.onnx/);
  });
});

describe("spotwise models registry commands", () => {
  it("adds, lists, promotes, rolls back, rejects and audits", async () => {
    expect((await run("models", "add", fixturePath("prob2"), "--name", "trees")).out).toMatch(
      /^added trees v1 as candidate/,
    );
    expect((await run("models", "add", fixturePath("zipmap"), "--name", "trees")).out).toMatch(
      /^added trees v2 as candidate/,
    );
    const bad = await run("models", "add", fixturePath("nan_output"), "--name", "trees");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^spotwise: model output is not finite/);

    const list = JSON.parse((await run("models", "list", "--json")).out);
    expect(
      list.models.map((m: { name: string; version: number; addedBy: string }) => `${m.name}@${m.version}:${m.addedBy}`),
    ).toEqual(["trees@1:cli:alice", "trees@2:cli:alice"]);

    // a just-added candidate is refused by the gate, with the reason and the numbers
    const refused = await run("models", "promote", "trees@1");
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/promotion of trees v1 .* refused by the gate: it has never been scored/);
    expect(refused.err).toMatch(/0 labelled outcomes, the gate needs 200/);
    // promotion is admin-only in Slack: the refusal says who may override it, and how
    expect(refused.err).toMatch(
      /An admin may override it with a reason \(CLI: spotwise models promote NAME --force --reason TEXT/,
    );
    expect(refused.err).not.toMatch(/Approvers may/);
    const noReason = await run("models", "promote", "trees@1", "--force");
    expect(noReason.code).toBe(2);
    expect(noReason.err).toMatch(/--force needs --reason TEXT/);
    const forced = await run(
      "models",
      "promote",
      "trees@1",
      "--force",
      "--reason",
      "first model, nothing to compare with",
    );
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/^gate overridden \(audited\): it has never been scored/);
    expect(forced.out).toMatch(/trees v1 is the champion$/);

    // trees v2 shadows the champion for 80 hours on 4 pools and is better on the same rows: the gate lets it through
    expect((await run("models", "shadow", "trees@2")).code).toBe(0);
    expect((await run("models", "promote", "trees@2")).err).toMatch(/refused by the gate: it has never been scored/);
    const db0 = await openDatabase({ url });
    try {
      const models = new DbModelRepository(db0);
      const [v1, v2] = await models.list({ name: "trees" });
      const predictions = new DbPredictionRepository(db0);
      const start = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 100 * 3_600_000;
      const y = (h: number, k: number) => ((h * 7 + k * 3) % 5 === 0 ? 1 : 0);
      const rows = [];
      for (let h = 0; h < 80; h++) {
        for (let k = 0; k < 4; k++) {
          const tickAt = start + h * 3_600_000;
          rows.push({ modelId: v1.id, pool: `p/${k}/x`, probability: 0.3, tickAt, horizonMs: 3_600_000 });
          rows.push({
            modelId: v2.id,
            pool: `p/${k}/x`,
            probability: y(h, k) ? 0.6 : 0.15,
            tickAt,
            horizonMs: 3_600_000,
          });
        }
      }
      expect((await predictions.insertMany(rows)).added).toBe(640);
      const due = await predictions.listDue(Date.now(), 10_000);
      await predictions.setOutcomes(
        due.map((d) => ({
          id: d.id,
          outcome: y((d.tickAt - start) / 3_600_000, Number(d.pool.split("/")[1])) as 0 | 1,
        })),
        Date.now(),
      );
    } finally {
      await db0.close();
    }
    const passed = await run("models", "promote", "trees@2");
    expect(passed.code).toBe(0);
    expect(passed.out).toMatch(
      /^gate passed: shadowed \d+\.\d h; 320 paired outcomes \(effective n \d+\); Brier vs champion -0\.\d{4}/,
    );
    expect(passed.out).toMatch(/trees v2 is the champion; trees v1 retired/);
    expect((await run("models", "rollback")).out).toBe("trees v1 is the champion again; trees v2 retired");
    expect(JSON.parse((await run("models", "show", "trees@1")).out).status).toBe("champion");
    const rej = await run("models", "reject", "trees@1");
    expect(rej.code).toBe(1);
    expect(rej.err).toMatch(/is the champion: promote another model or roll back first/);
    expect((await run("models", "reject", "trees@2", "--reason", "worse")).out).toBe("trees v2 rejected");
    const missing = await run("models", "show", "nothing");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no model "nothing"/);

    const db = await openDatabase({ url });
    try {
      const events = await new DbAuditLog(db).list();
      expect(events.map((e) => e.action)).toEqual([
        "model.added",
        "model.added",
        "model.promoted_forced",
        "model.shadow_on",
        "model.promoted",
        "model.rolled_back",
        "model.rejected",
      ]);
      expect(events.every((e) => e.actor === "cli:alice")).toBe(true);
      expect(events[2].detail).toMatchObject({ forced: true, reason: "first model, nothing to compare with" });
      expect(events[4].detail).toMatchObject({ forced: false, gate: { ok: true, outcomes: 320 } });
      await db.orm.em.getConnection().execute("delete from prediction");
    } finally {
      await db.close();
    }
  }, 120_000);

  it("experiments report says when nothing is labelled yet", async () => {
    const r = await run("experiments", "report");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no labelled predictions yet/);
    const j = JSON.parse((await run("experiments", "report", "--json")).out);
    expect(j).toMatchObject({ labelled: 0, models: [] });
  });
});

describe("spotwise experiments report over labelled outcomes", () => {
  it("scores champion and shadow and counts the decisions the shadow would have changed", async () => {
    expect((await run("models", "add", fixturePath("vector"), "--name", "linear")).code).toBe(0);
    expect((await run("models", "shadow", "linear")).out).toBe("linear v1 is shadow");
    const db = await openDatabase({ url });
    try {
      const models = new DbModelRepository(db);
      const champ = (await models.list({ statuses: ["champion"] }))[0];
      const shadow = (await models.list({ statuses: ["shadow"] }))[0];
      const predictions = new DbPredictionRepository(db);
      const T = Date.UTC(2026, 10, 1, 12);
      const rows = [
        [champ.id, "p/a/x", 0.1],
        [champ.id, "p/b/x", 0.3],
        [shadow.id, "p/a/x", 0.2],
        [shadow.id, "p/b/x", 0.8],
      ] as const;
      await predictions.insertMany(
        rows.map(([modelId, pool, probability]) => ({ modelId, tickAt: T, pool, probability, horizonMs: 3_600_000 })),
      );
      const due = await predictions.listDue(T + 3_600_000, 10);
      await predictions.setOutcomes(
        due.map((d) => ({ id: d.id, outcome: d.pool === "p/b/x" ? 1 : 0 })),
        T + 3_600_000,
      );
      await db.orm.em.getConnection().execute(
        `insert into decision (id, tick_at, instance_id, account_id, action, from_pool, to_pool, saving_per_hour, model_id, model_name, strategy, mode)
         values (?, ?, 'i-1', 'sim', 'SWITCH', 'p/a/x', 'p/b/x', 0.05, ?, ?, 'test', 'shadow')`,
        [randomUUID(), new Date(T), champ.id, champ.name],
      );
      // the recommendation stood for two hours: the next decision (STAY) came at T + 2 h
      await db.orm.em.getConnection().execute(
        `insert into decision (id, tick_at, instance_id, account_id, action, from_pool, to_pool, saving_per_hour, model_id, model_name, strategy, mode)
         values (?, ?, 'i-1', 'sim', 'STAY', 'p/a/x', null, 0, ?, ?, 'test', 'shadow')`,
        [randomUUID(), new Date(T + 2 * 3_600_000), champ.id, champ.name],
      );
      // and the decide ticks that made them (decisions are kept as changes, the ticks in decision_tick)
      for (const at of [T, T + 2 * 3_600_000]) {
        await db.orm.em.getConnection().execute(
          `insert into decision_tick (id, tick_at, mode, instances, written, closed, by_action, by_strategy,
             saving_per_hour, price_saving_per_hour) values (?, ?, 'shadow', 1, 1, 0, '{}', '{}', 0, 0)`,
          [randomUUID(), new Date(at)],
        );
      }
    } finally {
      await db.close();
    }
    const r = await run("experiments", "report", "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.labelled).toBe(4);
    expect(report.decisionsCompared).toBe(1);
    const byStatus = Object.fromEntries(report.models.map((m: { status: string }) => [m.status, m]));
    expect(byStatus.champion).toMatchObject({
      name: "trees",
      n: 2,
      positives: 1,
      auc: 1,
      decisionsMade: 1,
      wouldDiffer: 0,
    });
    expect(byStatus.shadow).toMatchObject({
      name: "linear",
      n: 2,
      auc: 1,
      wouldDiffer: 1,
      avoidedDisruptions: 1,
    });
    expect(byStatus.shadow.forgoneSavingUsd).toBeCloseTo(0.1, 9);
    expect(byStatus.shadow.forgoneHours).toBeCloseTo(2, 9);
    expect(byStatus.shadow.brier).toBeCloseTo((0.04 + 0.04) / 2, 4);
    expect(byStatus.shadow.paired).toMatchObject({ n: 2 });
    const text = await run("experiments", "report");
    expect(text.out).toMatch(/4 labelled predictions \(0 with no observed outcome and 0 pending: not scored\)/);
    expect(text.out).toMatch(/1 switch recommendations compared/);
  });
});

describe("spotwise risk-eval", () => {
  type Block = {
    rows: number;
    positives: number;
    predictors: {
      name: string;
      auc: number;
      auc_ci95: [number | null, number | null];
      brier: number;
      log_loss: number;
      ece: number;
      n: number;
    }[];
  };
  type Result = Block & { slices: { available_now: Block; unavailable_now: Block } };

  it("scores only held-out rows, pooled and per slice, in the documented JSON shape", async () => {
    // two traces of 400 ticks 10 min apart (66.5 h): the last 30% (19.95 h) after a 1 h gap, minus the last hour
    // (unlabelled), leaves ticks 286..393 = 108 rows per trace
    const csv = [
      "kind,nodes,trace_set,zone,resource,gap_seconds,tick,offset_seconds,value",
      ...["z1", "z2"].flatMap((zone, k) =>
        Array.from(
          { length: 400 },
          (_, i) =>
            `availability,1-node,s,${zone},r,600,${i},${i * 600},${Math.floor((i + 11 * k) / 37) % 3 === 0 ? 0 : 1}`,
        ),
      ),
    ].join("\n");
    const file = join(dir, "traces.csv");
    writeFileSync(file, csv);
    const r = await run("risk-eval", "--traces", file, "--model", DEFAULT_MODEL_PATH, "--json", "--replicates", "200");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Result;
    expect(Object.keys(j)).toEqual(["rows", "positives", "predictors", "slices"]);
    expect(j.predictors.map((p) => p.name)).toEqual([
      "model:default.onnx",
      "baseline:capacity_lost_last_hour",
      "baseline:frac_capacity_lost_6h",
    ]);
    for (const p of j.predictors) {
      expect(Object.keys(p)).toEqual(["name", "auc", "auc_ci95", "brier", "log_loss", "ece", "n"]);
    }
    expect(j.rows).toBe(216);
    expect(j.predictors[0].n).toBe(216);
    expect(j.slices.available_now.rows + j.slices.unavailable_now.rows).toBe(216);
    expect(j.slices.available_now.positives + j.slices.unavailable_now.positives).toBe(j.positives);
    const all = await run("risk-eval", "--traces", file, "--json", "--holdout", "1", "--gap-minutes", "0");
    expect((JSON.parse(all.out) as Result).rows).toBe(2 * 394);
    const text = await run("risk-eval", "--traces", file, "--replicates", "50");
    expect(text.out).toMatch(/held-out rows only: the last 30% of each trace's time span, after a gap of 60 min/);
    expect(text.out).toMatch(/capacity available now/);
  });

  it("on the real traces: held-out rows only, both slices, intervals from whole traces", async () => {
    const traces = sharedDataPath("aux/spot-traces.csv");
    const r = await run(
      "risk-eval",
      "--traces",
      traces,
      "--model",
      DEFAULT_MODEL_PATH,
      "--json",
      "--replicates",
      "200",
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Result;
    const [model, last, frac] = j.predictors;
    // 70,557 rows validated the model in training (the last 30% per trace); the 1-hour gap drops a few hundred
    expect(model.n).toBeGreaterThan(65_000);
    expect(model.n).toBeLessThan(70_557);
    expect(model.auc).toBeGreaterThan(Math.max(last.auc, frac.auc));
    expect(model.auc_ci95[0]).toBeLessThan(model.auc);
    expect(model.auc_ci95[1]).toBeGreaterThan(model.auc);
    const avail = j.slices.available_now;
    expect(avail.rows + j.slices.unavailable_now.rows).toBe(j.rows);
    // the slice that matters is much harder than the pooled figure suggests
    expect(avail.predictors[0].auc).toBeLessThan(model.auc - 0.05);
    expect(j.slices.unavailable_now.positives / j.slices.unavailable_now.rows).toBeGreaterThan(0.9);
  }, 180_000);

  it("exits 2 when the model is not valid", async () => {
    const csv = [
      "kind,nodes,trace_set,zone,resource,gap_seconds,tick,offset_seconds,value",
      "availability,1-node,s,z,r,600,0,0,1",
    ];
    const file = join(dir, "tiny.csv");
    writeFileSync(file, csv.join("\n"));
    const r = await run("risk-eval", "--traces", file, "--model", fixturePath("wrong_names"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^spotwise: model feature 0 is "price_changes_1h"/);
  });

  it("exits 2 when the traces file cannot be read", async () => {
    const r = await run("risk-eval", "--traces", join(dir, "missing.csv"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^spotwise risk-eval: cannot read traces file/);
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import type { Decision } from "../../core/types.js";
import { CleanupJob } from "../../daemon/jobs/cleanup.js";
import { DbDecisionStore } from "./decision-repo.js";
import { DbHistoryRetention } from "./history-retention.js";

const DAY = 86_400_000;
const NOW = Date.parse("2026-11-30T00:00:00Z");

const decision = (instanceId: string): Decision => ({
  action: "STAY",
  instanceId,
  accountId: "111111111111",
  from: { region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" },
  to: null,
  savingPerHour: 0,
  savingPerMonth: 0,
  riskFrom: 0.01,
  riskTo: null,
  modelName: null,
  modelId: null,
  confidence: null,
  fallback: true,
  strategy: "stay",
  reasons: [],
  alternatives: [],
});

describe(`history retention on ${backendLabel()}`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => db?.dispose());

  it("deletes decisions, predictions and tick runs past their windows, keeping decisions a recommendation uses", async () => {
    const conn = db.em().getConnection();
    const decisions = new DbDecisionStore(db);
    // decisions are kept as changes: i-2 and i-3 stop being decided at -95 days, i-1's advice changes twice
    const [oldKept] = await decisions.saveTick(NOW - 100 * DAY, "shadow", [
      decision("i-1"),
      decision("i-2"),
      decision("i-3"),
    ]);
    const [between] = await decisions.saveTick(NOW - 95 * DAY, "shadow", [
      { ...decision("i-1"), strategy: "cooldown" },
    ]);
    const [recent] = await decisions.saveTick(NOW - 10 * DAY, "shadow", [decision("i-1")]);
    // a decision standing since before the window is kept whatever its age
    const [standing] = await decisions.saveTick(NOW - 9 * DAY, "shadow", [decision("i-1"), decision("i-4")]);
    expect(standing).toBe(recent);
    await conn.execute(
      "insert into recommendation (id, decision_id, instance_id, account_id, status, expires_at) values (?, ?, ?, ?, ?, ?)",
      [randomUUID(), oldKept, "i-1", "111111111111", "expired", new Date(NOW - 99 * DAY)],
    );
    const model = randomUUID();
    for (const [days, pool] of [
      [100, "a"],
      [100, "b"],
      [1, "a"],
    ] as const) {
      await conn.execute(
        "insert into prediction (model_id, tick_at, pool, probability, horizon_ms, label_at) values (?, ?, ?, ?, ?, ?)",
        [model, new Date(NOW - days * DAY), pool, 0.1, 3_600_000, new Date(NOW - days * DAY + 3_600_000)],
      );
    }
    for (const days of [40, 35, 2]) {
      await conn.execute("insert into tick_run (job, started_at, status, stats) values (?, ?, ?, ?::jsonb)", [
        "decide",
        new Date(NOW - days * DAY),
        "ok",
        "{}",
      ]);
    }
    const history = new DbHistoryRetention(db, { decisionDays: 90, predictionDays: 90, tickLogDays: 30 });
    const job = new CleanupJob({
      runner: { cleanupImages: async () => ({ images: 0, snapshots: 0, failed: 0 }) },
      publisher: { expireDue: async () => [] },
      market: { prune: async () => ({ removed: 0 }) },
      retentionMs: 30 * DAY,
      history,
    });
    expect(await job.tick(NOW)).toMatchObject({ prunedDecisions: 2, prunedPredictions: 2, prunedTickRuns: 2 });
    const left = await decisions.list({});
    // i-2 and i-3 ended at -95 days; i-1's first advice ended then too but a recommendation points to it
    expect(left.map((d) => d.id).sort()).toEqual(
      [oldKept, between, recent, left.find((d) => d.instanceId === "i-4")?.id].sort(),
    );
    expect((await decisions.ticks({})).map((t) => t.tickAt)).toEqual([NOW - 9 * DAY, NOW - 10 * DAY]);
    // a second run finds nothing more
    expect(await history.prune(NOW)).toEqual({ decisions: 0, predictions: 0, tickRuns: 0, decisionTicks: 0 });
  });
});

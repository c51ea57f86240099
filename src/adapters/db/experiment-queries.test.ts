/**
 * The experiment aggregates in SQL (PostgreSQL with DATABASE_URL, PGlite otherwise): the saving another model
 * would have forgone is counted per recommendation over the hours it stood, so it does not grow with the tick
 * rate; and paired rows are only those both models scored with an observed outcome.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { MemoryExperimentQueries } from "../../core/models/memory-experiment-queries.js";
import { MemoryPredictionRepository } from "../../core/models/prediction-repository.js";
import { DbExperimentQueries } from "./experiment-queries.js";
import { DbPredictionRepository } from "./prediction-repo.js";

const HOUR = 3_600_000;
const T = Date.UTC(2026, 10, 20, 8);
const CHAMP = "00000000-0000-4000-8000-0000000000c1";
const CHALLENGER = "00000000-0000-4000-8000-0000000000c2";
const FROM = "us-east-1/us-east-1a/m5.large";
const TO = "us-east-1/us-east-1b/m5.large";

let db: Awaited<ReturnType<typeof testDatabase>>;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db?.dispose();
});

/** One row per tick, as decisions were kept before issue 14 (each a change that the next one ends), and the tick. */
async function decision(tickAt: number, action: "SWITCH" | "STAY", saving: number) {
  const conn = db.orm.em.getConnection();
  await conn.execute(
    `insert into decision (id, tick_at, instance_id, account_id, action, from_pool, to_pool, saving_per_hour, model_id, model_name, strategy, mode)
     values (?, ?, 'i-0abc', '123456789012', ?, ?, ?, ?, ?, 'default', 'test', 'shadow')`,
    [randomUUID(), new Date(tickAt), action, FROM, action === "SWITCH" ? TO : null, saving, CHAMP],
  );
  await conn.execute(
    `insert into decision_tick (id, tick_at, mode, instances, written, closed, by_action, by_strategy, saving_per_hour,
       price_saving_per_hour) values (?, ?, 'shadow', 1, 1, 0, '{}', '{}', 0, 0)`,
    [randomUUID(), new Date(tickAt)],
  );
}

/** The champion recommends a switch for 2 h (saving 0.30 $/h, then 0.36 $/h for the second hour), then stays. */
async function scenario(tickMinutes: number) {
  const conn = db.orm.em.getConnection();
  await conn.execute("delete from decision");
  await conn.execute("delete from decision_tick");
  await conn.execute("delete from prediction");
  const step = tickMinutes * 60_000;
  for (let t = T; t < T + 2 * HOUR; t += step) await decision(t, "SWITCH", t < T + HOUR ? 0.3 : 0.36);
  await decision(T + 2 * HOUR, "STAY", 0);
  await decision(T + 3 * HOUR, "STAY", 0);
  // the challenger rated the target above the risk ceiling at every tick (stored once per hour window)
  const predictions = new DbPredictionRepository(db);
  for (let t = T; t < T + 3 * HOUR; t += step) {
    await predictions.insertMany([
      { modelId: CHALLENGER, tickAt: t, pool: TO, probability: 0.9, horizonMs: HOUR },
      { modelId: CHAMP, tickAt: t, pool: TO, probability: 0.01, horizonMs: HOUR },
    ]);
  }
  const due = await predictions.listDue(T + 10 * HOUR, 1000);
  await predictions.setOutcomes(
    due.map((d) => ({ id: d.id, outcome: 1 as const })),
    T + 10 * HOUR,
  );
  return new DbExperimentQueries(db).switchEpisodes({
    until: T + 10 * HOUR,
    riskCeiling: 0.5,
    maxStepMs: 6 * HOUR,
  });
}

describe(`experiment aggregates in SQL (${backendLabel()})`, () => {
  it("forgone saving is per recommendation over the hours it stood: the same at 15-minute and 5-minute ticks", async () => {
    const every15 = await scenario(15);
    const every5 = await scenario(5);
    for (const r of [every15, every5]) {
      expect(r.episodes).toBe(1);
      expect(r.byDecider.get(CHAMP)).toBe(1);
      const b = r.blocked.get(CHALLENGER);
      expect(b?.wouldDiffer).toBe(1);
      expect(b?.forgoneHours).toBeCloseTo(2, 9);
      expect(b?.forgoneUsd).toBeCloseTo(0.3 + 0.36, 9);
      expect(b?.avoided).toBe(1);
      // the deciding model does not block its own recommendation
      expect(r.blocked.has(CHAMP)).toBe(false);
    }
    // a sum of $/h rates per tick would have been 8×/24× the hourly saving
  });

  it("pairs rows on the same pool and tick, with observed outcomes only, like the in-memory rules", async () => {
    const conn = db.orm.em.getConnection();
    await conn.execute("delete from prediction");
    const rows = [
      { modelId: CHAMP, pool: "a", probability: 0.2, tickAt: T },
      { modelId: CHAMP, pool: "b", probability: 0.6, tickAt: T },
      { modelId: CHAMP, pool: "c", probability: 0.4, tickAt: T },
      { modelId: CHALLENGER, pool: "a", probability: 0.1, tickAt: T },
      { modelId: CHALLENGER, pool: "b", probability: 0.7, tickAt: T },
      { modelId: CHALLENGER, pool: "c", probability: 0.5, tickAt: T },
      { modelId: CHALLENGER, pool: "d", probability: 0.5, tickAt: T },
    ].map((r) => ({ ...r, horizonMs: HOUR }));
    const outcome = (pool: string) => (pool === "b" ? 1 : pool === "c" ? -1 : 0);
    const dbRepo = new DbPredictionRepository(db);
    const memRepo = new MemoryPredictionRepository();
    for (const repo of [dbRepo, memRepo]) {
      await repo.insertMany(rows);
      const due = await repo.listDue(T + HOUR, 100);
      await repo.setOutcomes(
        due.map((d) => ({ id: d.id, outcome: outcome(d.pool) as 0 | 1 | -1 })),
        T + HOUR,
      );
    }
    const sql = new DbExperimentQueries(db);
    const mem = new MemoryExperimentQueries(() => memRepo.rows);
    const [a, b] = [await sql.pairedBlocks(CHAMP, CHALLENGER), await mem.pairedBlocks(CHAMP, CHALLENGER)];
    // pools a and b: c has no observed outcome, d was not scored by the champion
    expect(a.map((x) => x.n)).toEqual([1, 1]);
    expect(a.map((x) => x.block)).toEqual(b.map((x) => x.block));
    a.forEach((x, i) => {
      expect(x.sumBrier).toBeCloseTo(b[i].sumBrier, 6);
      expect(x.sumLogLoss).toBeCloseTo(b[i].sumLogLoss, 5);
    });
    expect(await sql.modelOutcomes(CHALLENGER)).toMatchObject({ labelled: 3, positives: 1, unknown: 1, pending: 0 });
    expect((await sql.scoreBins(CHALLENGER, CHAMP)).reduce((s, x) => s + x.pos + x.neg, 0)).toBe(2);
  });
});

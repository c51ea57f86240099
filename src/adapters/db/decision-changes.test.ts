/**
 * Decisions are kept as changes (issue 14): a steady fleet writes one decision row per managed instance however
 * many ticks run, a row ends when the advice changes or the instance is no longer decided, and every tick leaves
 * one summary row with its counts and totals.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import type { Decision, PoolKey } from "../../core/types.js";
import { DbDecisionStore } from "./decision-repo.js";
import { DbHistoryRetention } from "./history-retention.js";

const MIN = 60_000;
const T0 = Date.parse("2026-11-30T00:00:00Z");
const A: PoolKey = { region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" };
const B: PoolKey = { region: "us-east-1", az: "us-east-1b", instanceType: "m5.large" };
const W: PoolKey = { region: "us-west-2", az: "us-west-2a", instanceType: "m5.large" };

function decision(instanceId: string, over: Partial<Decision> = {}): Decision {
  return {
    action: "STAY",
    instanceId,
    managedId: `m-${instanceId}`,
    accountId: "111111111111",
    from: A,
    to: null,
    savingPerHour: 0,
    savingPerMonth: 0,
    priceSavingPerHour: 0,
    priceSavingPerMonth: 0,
    riskFrom: 0.001,
    riskTo: null,
    modelName: null,
    modelId: null,
    confidence: null,
    fallback: true,
    strategy: "no-better-candidate",
    reasons: [],
    alternatives: [],
    ...over,
  };
}

const switchTo = (instanceId: string, saving: number): Decision =>
  decision(instanceId, {
    action: "SWITCH",
    to: B,
    strategy: "payback",
    savingPerHour: saving,
    savingPerMonth: saving * 730,
    priceSavingPerHour: saving + 0.01,
    priceSavingPerMonth: (saving + 0.01) * 730,
  });

describe(`decisions kept as changes on ${backendLabel()}`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => db?.dispose());

  const rows = async () =>
    db
      .em()
      .getConnection()
      .execute<Array<{ n: string | number }>>("select count(*) as n from decision")
      .then((r) => Number(r[0].n));

  it("a steady fleet over N ticks writes one decision row per instance, and one right summary per tick", async () => {
    await db.em().getConnection().execute("delete from decision");
    await db.em().getConnection().execute("delete from decision_tick");
    const store = new DbDecisionStore(db);
    const fleet = (n: number): Decision[] =>
      Array.from({ length: 30 }, (_, k) =>
        // the figures drift every tick (the EWMA moves): the same advice, not a new one
        k < 10 ? switchTo(`i-${k}`, 0.1 + n * 1e-4) : decision(`i-${k}`, { riskFrom: 0.001 + n * 1e-6 }),
      );
    const TICKS = 12;
    let first: string[] = [];
    for (let n = 0; n < TICKS; n++) {
      const ids = await store.saveTick(T0 + n * 15 * MIN, "shadow", fleet(n), { pools: 7 });
      if (n === 0) first = ids;
      // every decision names the row it stands in: the one written at the first tick
      expect(ids).toEqual(first);
    }
    expect(await rows()).toBe(30);
    expect(new Set(first).size).toBe(30);

    const ticks = await store.ticks({});
    expect(ticks).toHaveLength(TICKS);
    expect(ticks.map((t) => t.tickAt)).toEqual(
      Array.from({ length: TICKS }, (_, n) => T0 + (TICKS - 1 - n) * 15 * MIN),
    );
    for (const t of ticks) {
      const n = (t.tickAt - T0) / (15 * MIN);
      expect(t).toMatchObject({
        mode: "shadow",
        instances: 30,
        pools: 7,
        written: n === 0 ? 30 : 0,
        closed: 0,
        byAction: { SWITCH: 10, STAY: 20 },
        byStrategy: { payback: 10, "no-better-candidate": 20 },
      });
      // fleet totals from this tick's figures (not the stored rows'): 10 switches of (0.1 + n·1e-4) $/h
      expect(t.savingPerHour).toBeCloseTo(10 * (0.1 + n * 1e-4), 9);
      expect(t.priceSavingPerHour).toBeCloseTo(10 * (0.11 + n * 1e-4), 9);
    }
    // the stored row keeps the figures of the tick the advice was made
    const stored = await store.get(first[0]);
    expect(stored).toMatchObject({ action: "SWITCH", savingPerHour: 0.1, tickAt: T0, endedAt: null });
  });

  it("a changed advice, a mode change or an instance no longer decided ends the standing row; undiscovered regions keep theirs", async () => {
    await db.em().getConnection().execute("delete from decision");
    await db.em().getConnection().execute("delete from decision_tick");
    const store = new DbDecisionStore(db);
    const t = (n: number) => T0 + n * 15 * MIN;
    const west = decision("i-w", { from: W });
    const [a0, b0, c0, w0] = await store.saveTick(t(0), "shadow", [
      decision("i-a"),
      decision("i-b"),
      decision("i-c"),
      west,
    ]);
    // i-a is advised to switch, i-b is gone, i-c stays, us-west-2 could not be listed
    const [a1, c1] = await store.saveTick(t(1), "shadow", [switchTo("i-a", 0.2), decision("i-c")], {
      undiscovered: [{ accountId: "111111111111", region: "us-west-2" }],
    });
    expect(a1).not.toBe(a0);
    expect(c1).toBe(c0);
    expect((await store.get(a0))?.endedAt).toBe(t(1));
    expect((await store.get(b0))?.endedAt).toBe(t(1));
    expect((await store.get(w0))?.endedAt).toBeNull();
    expect((await store.ticks({ since: t(1), until: t(1) + 1 }))[0]).toMatchObject({ written: 1, closed: 2 });

    // the mode changes: every standing advice is a new one (approve mode posts actionable advice)
    const [a2, c2, w2] = await store.saveTick(t(2), "approve", [switchTo("i-a", 0.2), decision("i-c"), west]);
    expect([a2, c2, w2].some((id) => [a1, c1, w0].includes(id))).toBe(false);
    expect((await store.get(a1))?.endedAt).toBe(t(2));

    // the same managed instance on a new EC2 instance after a switch: a new row, the lineage's old one ended
    const [a3] = await store.saveTick(t(3), "approve", [
      decision("i-a2", { managedId: "m-i-a", from: B }),
      decision("i-c"),
      west,
    ]);
    expect((await store.get(a2))?.endedAt).toBe(t(3));
    expect((await store.get(a3))?.instanceId).toBe("i-a2");
    expect(await rows()).toBe(4 + 1 + 3 + 1);
  });

  it("an advice whose monthly saving moved by more than 5 % is a new row (its message refreshes); smaller drift is not", async () => {
    await db.em().getConnection().execute("delete from decision");
    await db.em().getConnection().execute("delete from decision_tick");
    const store = new DbDecisionStore(db);
    const t = (n: number) => T0 + n * 15 * MIN;
    // price saving (0.19 + 0.01) × 730 = $146/month
    const [a0] = await store.saveTick(t(0), "shadow", [switchTo("i-a", 0.19)]);
    // $143.08 (-2 %): the same row
    const [a1] = await store.saveTick(t(1), "shadow", [switchTo("i-a", 0.186)]);
    expect(a1).toBe(a0);
    // $131.40 (-10 % from the row's $146): a new row with the new figures, the old one ended
    const [a2] = await store.saveTick(t(2), "shadow", [switchTo("i-a", 0.17)]);
    expect(a2).not.toBe(a0);
    expect((await store.get(a0))?.endedAt).toBe(t(2));
    expect((await store.get(a2))?.priceSavingPerMonth).toBeCloseTo(0.18 * 730, 9);
    // a fresh store (a restarted daemon) reads the standing row's figure back: no new row for a small drift
    const [a3] = await new DbDecisionStore(db).saveTick(t(3), "shadow", [switchTo("i-a", 0.172)]);
    expect(a3).toBe(a2);
  });

  it("another writer's tick (a second replica) is seen: nothing is skipped or written twice", async () => {
    await db.em().getConnection().execute("delete from decision");
    await db.em().getConnection().execute("delete from decision_tick");
    const one = new DbDecisionStore(db);
    const two = new DbDecisionStore(db);
    const t = (n: number) => T0 + n * 15 * MIN;
    const [x0] = await one.saveTick(t(0), "shadow", [decision("i-x")]);
    // the lease moves: the other replica decides a switch, then the first gets the lease back
    const [x1] = await two.saveTick(t(1), "shadow", [switchTo("i-x", 0.3)]);
    expect(x1).not.toBe(x0);
    const [x2] = await one.saveTick(t(2), "shadow", [decision("i-x")]);
    expect(x2).not.toBe(x0);
    expect(x2).not.toBe(x1);
    const [x3] = await one.saveTick(t(3), "shadow", [decision("i-x")]);
    expect(x3).toBe(x2);
    const all = (await one.list({ managedId: "m-i-x" })).sort((p, q) => p.tickAt - q.tickAt);
    expect(all.map((d) => [d.action, d.tickAt, d.endedAt])).toEqual([
      ["STAY", t(0), t(1)],
      ["SWITCH", t(1), t(2)],
      ["STAY", t(2), null],
    ]);
  });

  it("retention keeps a decision standing since before the window and drops those that ended before it", async () => {
    await db.em().getConnection().execute("delete from decision");
    await db.em().getConnection().execute("delete from decision_tick");
    const DAY = 86_400_000;
    const store = new DbDecisionStore(db);
    const [old] = await store.saveTick(T0 - 100 * DAY, "shadow", [decision("i-old"), decision("i-gone")]);
    await store.saveTick(T0 - 95 * DAY, "shadow", [decision("i-old")]);
    await store.saveTick(T0, "shadow", [decision("i-old")]);
    const pruned = await new DbHistoryRetention(db, { decisionDays: 90, predictionDays: 90, tickLogDays: 30 }).prune(
      T0,
    );
    expect(pruned).toMatchObject({ decisions: 1, decisionTicks: 2 });
    expect((await store.list({})).map((d) => d.id)).toEqual([old]);
  });

  it("the migration turns rows kept per tick into changes: each ends at its lineage's next row, the last at the next tick", async () => {
    const conn = db.em().getConnection();
    // the migrations after it first, newest first
    expect((await db.migrateDown()).reverted).toEqual(["Migration20261201000000_fleet_scan"]);
    expect((await db.migrateDown()).reverted).toEqual(["Migration20261130220000_decision_changes"]);
    try {
      await conn.execute("delete from decision");
      const row = (id: string, at: number, instanceId: string, action: string, managedId: string | null = null) =>
        conn.execute(
          `insert into decision (id, tick_at, instance_id, managed_id, account_id, action, from_pool, to_pool,
             saving_per_hour, strategy, mode) values (?, ?, ?, ?, '111111111111', ?, ?, ?, ?, 'payback', 'shadow')`,
          [
            id,
            new Date(at),
            instanceId,
            managedId,
            action,
            "us-east-1/us-east-1a/m5.large",
            action === "SWITCH" ? "us-east-1/us-east-1b/m5.large" : null,
            action === "SWITCH" ? 0.2 : 0,
          ],
        );
      const t = (n: number) => T0 + n * 15 * MIN;
      const ids = Array.from({ length: 6 }, () => randomUUID());
      await row(ids[0], t(0), "i-a", "STAY");
      await row(ids[1], t(1), "i-a", "SWITCH");
      // i-a was replaced by i-a2 (same managed instance) at the third tick
      await row(ids[2], t(2), "i-a2", "STAY", "i-a");
      await row(ids[3], t(0), "i-b", "SWITCH");
      await row(ids[4], t(1), "i-b", "SWITCH");
      await row(ids[5], t(2), "i-c", "STAY");
    } finally {
      expect((await db.migrate()).applied).toEqual([
        "Migration20261130220000_decision_changes",
        "Migration20261201000000_fleet_scan",
      ]);
    }
    const store = new DbDecisionStore(db);
    const ended = async (...instanceIds: string[]) =>
      (await Promise.all(instanceIds.map((instanceId) => store.list({ instanceId }))))
        .flat()
        .sort((a, b) => a.tickAt - b.tickAt)
        .map((d) => d.endedAt);
    const t = (n: number) => T0 + n * 15 * MIN;
    expect(await ended("i-a", "i-a2")).toEqual([t(1), t(2), null]);
    // i-b was not decided at the third tick: its last row ends there
    expect(await ended("i-b")).toEqual([t(1), t(2)]);
    expect(await ended("i-c")).toEqual([null]);
    const ticks = (await store.ticks({})).reverse();
    expect(ticks.map((x) => [x.tickAt, x.instances, x.byAction])).toEqual([
      [t(0), 2, { STAY: 1, SWITCH: 1 }],
      [t(1), 2, { SWITCH: 2 }],
      [t(2), 2, { STAY: 2 }],
    ]);
    expect(ticks[1].savingPerHour).toBeCloseTo(0.4, 9);
    // the daemon carries on from there: i-a2 and i-c unchanged write nothing, and i-b is no longer standing
    const before = await rows();
    await store.saveTick(t(3), "shadow", [
      decision("i-a2", { managedId: "i-a", strategy: "payback" }),
      decision("i-c", { managedId: "i-c", strategy: "payback" }),
    ]);
    expect(await rows()).toBe(before);
  });
});

/**
 * The label job's read (DecisionStore.unrealizedSwitches): the SWITCH advice before a time whose realized saving
 * is still unset, newest first, the same rows the full decision list gives once filtered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import type { Decision, PoolKey } from "../../core/types.js";
import { DbDecisionStore } from "./decision-repo.js";

const MIN = 60_000;
const T0 = Date.parse("2026-11-30T00:00:00Z");
const A: PoolKey = { region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" };
const B: PoolKey = { region: "us-east-1", az: "us-east-1b", instanceType: "m5a.large" };

function decision(instanceId: string, action: Decision["action"], saving = 0): Decision {
  return {
    action,
    instanceId,
    managedId: instanceId,
    accountId: "111111111111",
    from: A,
    to: action === "SWITCH" ? B : null,
    savingPerHour: saving,
    savingPerMonth: saving * 730,
    priceSavingPerHour: saving,
    priceSavingPerMonth: saving * 730,
    riskFrom: 0.001,
    riskTo: null,
    modelName: null,
    modelId: null,
    confidence: null,
    fallback: true,
    strategy: action === "SWITCH" ? "payback" : "no-better-candidate",
    reasons: [],
    alternatives: [],
  };
}

describe(`unrealized switches on ${backendLabel()}`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => db?.dispose());

  it("gives the unlabelled SWITCH rows before `until`, newest first, as the filtered decision list does", async () => {
    const store = new DbDecisionStore(db);
    // four ticks; each tick's advice changes its figures by more than the refresh share, so each writes new rows
    for (let k = 0; k < 4; k++) {
      await store.saveTick(T0 + k * 15 * MIN, "approve", [
        decision("i-1", "SWITCH", 0.1 * 2 ** k),
        decision("i-2", k % 2 ? "STAY" : "SWITCH", 0.2 * 2 ** k),
        decision("i-3", "STAY"),
      ]);
    }
    const all = await store.list({ action: "SWITCH" });
    expect(all.length).toBeGreaterThan(4);
    // one labelled already: it is not due again
    await store.setRealized(all[all.length - 1].id, 1.5, T0 + 60 * MIN);
    const until = T0 + 45 * MIN;
    const expected = (await store.list({ action: "SWITCH", until }))
      .filter((x) => x.realizedSavingUsd === null && x.to !== null)
      .map((x) => ({ id: x.id, tickAt: x.tickAt, from: x.from, to: x.to }));
    const got = await store.unrealizedSwitches(until, 5_000);
    expect(got).toEqual(expected);
    expect(got.length).toBeGreaterThan(1);
    expect(got.every((x) => x.tickAt < until)).toBe(true);
    expect(got.map((x) => x.tickAt)).toEqual([...got.map((x) => x.tickAt)].sort((a, b) => b - a));
    expect(await store.unrealizedSwitches(until, 1)).toEqual(got.slice(0, 1));
  });
});

/**
 * The digest counts each instance and recommendation once, priced on the price series. The expected figures
 * are computed by hand below from fixtures/digest-prices.csv (real prices, see fixtures/README.md).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { DbDecisionStore } from "../../adapters/db/decision-repo.js";
import { DigestQueries } from "../../adapters/db/digest-repo.js";
import { ManagedInstanceEntity, RecommendationEntity } from "../../adapters/db/entities.js";
import { SwitchExecutionEntity } from "../../adapters/db/entities-ops.js";
import { DbRecommendationRepo } from "../../adapters/db/recommendation-repo.js";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { digestMessage } from "../../bot/views/digest.js";
import { parsePriceFile } from "../../core/market/import.js";
import type { DigestReport, Notifier } from "../../core/ports/notifier.js";
import type { RecommendationStatus } from "../../core/recommendations/types.js";
import type { Decision, DecisionAction, PoolKey } from "../../core/types.js";
import { poolId } from "../../core/types.js";
import { DigestJob } from "./digest.js";

const T = (iso: string) => Date.parse(iso);
const H = 3_600_000;
const hours = (a: string, b: string) => (T(b) - T(a)) / H;

const E2A: PoolKey = { region: "us-east-2", az: "us-east-2a", instanceType: "p3.8xlarge" };
const E2C: PoolKey = { region: "us-east-2", az: "us-east-2c", instanceType: "p3.8xlarge" };
const W1A: PoolKey = { region: "eu-west-1", az: "eu-west-1a", instanceType: "p3.2xlarge" };
const W1B: PoolKey = { region: "eu-west-1", az: "eu-west-1b", instanceType: "p3.2xlarge" };

const decision = (instanceId: string, action: DecisionAction, from: PoolKey, to: PoolKey | null): Decision => ({
  action,
  instanceId,
  accountId: "123456789012",
  from,
  to,
  savingPerHour: 0,
  savingPerMonth: 0,
  riskFrom: 0.001,
  riskTo: to ? 0.001 : null,
  modelName: "default",
  modelId: null,
  confidence: null,
  fallback: false,
  strategy: "cheapest-safe",
  reasons: [],
  alternatives: [],
});

describe(`the daily digest counts each instance and recommendation once (${backendLabel()})`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let report: DigestReport;
  let posted: DigestReport[];

  beforeAll(async () => {
    db = await testDatabase();
    const market = new MemoryMarketStore({ retentionMs: 0 });
    const file = resolve(import.meta.dirname, "fixtures/digest-prices.csv");
    await market.appendPrices(parsePriceFile(readFileSync(file, "utf8"), file).records);

    const decisions = new DbDecisionStore(db);
    // the evening before, in approve mode: every instance advised to switch
    const [beforeDay] = await decisions.saveTick(T("2020-01-08T19:00:00Z"), "approve", [
      decision("i-A", "SWITCH", E2C, E2A),
      decision("i-B", "SWITCH", W1A, W1B),
      decision("i-C", "SWITCH", E2C, E2A),
    ]);
    // Four decide ticks on 2020-01-09: i-A stays, i-B is advised to switch every tick, i-C switch then stay (kept as
    // changes: a row when the advice or the mode changes, i-A no longer decided once it is gone).
    const ticks = ["2020-01-09T00:15:00Z", "2020-01-09T06:15:00Z", "2020-01-09T12:15:00Z", "2020-01-09T18:15:00Z"];
    const ids: Record<string, string[]> = { B: [] };
    for (const [n, t] of ticks.entries()) {
      const saved = await decisions.saveTick(T(t), "shadow", [
        decision("i-A2", "STAY", E2A, null),
        decision("i-B", "SWITCH", W1A, W1B),
        decision("i-C", n < 2 ? "SWITCH" : "STAY", E2C, n < 2 ? E2A : null),
      ]);
      ids.B.push(saved[1]);
    }
    const [, b0, c0] = (await decisions.list({ since: T("2020-01-08T19:00:00Z"), until: T("2020-01-08T19:00:01Z") }))
      .sort((x, y) => x.instanceId.localeCompare(y.instanceId))
      .map((d) => d.id);

    const repo = new DbRecommendationRepo(db);
    const rec = async (
      id: string,
      decisionId: string,
      d: Decision,
      created: string,
      expires: string,
      status: RecommendationStatus,
      resolved: string | null,
    ) => {
      await repo.insert({
        id,
        decisionId,
        decision: d,
        mode: "shadow",
        tickAt: T(created),
        createdAt: T(created),
        expiresAt: T(expires),
      });
      await db
        .em()
        .nativeUpdate(RecommendationEntity, { id }, { status, resolvedAt: resolved ? new Date(T(resolved)) : null });
    };
    const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    // i-A: approved and switched (not missed advice)
    await rec(
      uuid(1),
      beforeDay,
      decision("i-A", "SWITCH", E2C, E2A),
      "2020-01-08T19:00:00Z",
      "2020-01-08T23:00:00Z",
      "done",
      "2020-01-08T20:00:00Z",
    );
    // i-B: the same advice posted three times; R1 expired, R2 (overlapping R1 by an hour) superseded, R3 pending
    const dB = decision("i-B", "SWITCH", W1A, W1B);
    await rec(uuid(2), b0, dB, "2020-01-08T22:00:00Z", "2020-01-09T02:00:00Z", "expired", "2020-01-09T02:00:00Z");
    await rec(
      uuid(3),
      ids.B[0],
      dB,
      "2020-01-09T01:00:00Z",
      "2020-01-09T12:00:00Z",
      "superseded",
      "2020-01-09T10:00:00Z",
    );
    await rec(uuid(4), ids.B[1], dB, "2020-01-09T10:00:00Z", "2020-01-10T02:00:00Z", "pending", null);
    // i-C: advice rejected at 06:30
    const dC = decision("i-C", "SWITCH", E2C, E2A);
    await rec(uuid(5), c0, dC, "2020-01-08T23:00:00Z", "2020-01-09T03:00:00Z", "rejected", "2020-01-09T06:30:00Z");

    // i-A's switch finished 2020-01-08 20:00 into i-A2, which was last seen 2020-01-09 18:00 (gone)
    const em = db.em();
    const sw = (id: number, instanceId: string, state: string, finished: string, newInstanceId: string | null) =>
      em.insert(SwitchExecutionEntity, {
        id: uuid(100 + id),
        instanceId,
        accountId: "123456789012",
        region: "us-east-2",
        state,
        active: false,
        fromPool: poolId(E2C),
        targets: [E2A] as unknown as string[], // the saga stores its targets as PoolKey objects
        targetIndex: 0,
        newInstanceId,
        context: {},
        requestedBy: "slack:U1",
        startedAt: new Date(T(finished) - H),
        updatedAt: new Date(T(finished)),
        finishedAt: new Date(T(finished)),
        version: 1,
      });
    await sw(1, "i-A", "done", "2020-01-08T20:00:00Z", "i-A2");
    await sw(2, "i-C", "rolled_back", "2020-01-09T05:00:00Z", null);
    await em.insert(ManagedInstanceEntity, {
      id: "i-A2",
      accountId: "123456789012",
      region: "us-east-2",
      az: "us-east-2a",
      instanceType: "p3.8xlarge",
      lifecycle: "spot",
      azFlexible: true,
      tags: {},
      state: "gone",
      discoveredAt: new Date(T("2020-01-08T20:00:00Z")),
      lastSeenAt: new Date(T("2020-01-09T18:00:00Z")),
    });

    posted = [];
    const notifier: Notifier = {
      recommend: async () => ({ channel: "C", ts: "1" }),
      update: async () => undefined,
      announce: async () => undefined,
      progress: async () => undefined,
      resolve: async () => undefined,
      digest: async (d) => {
        posted.push(d);
      },
      alert: async () => undefined,
    };
    const job = new DigestJob({
      facts: new DigestQueries(db),
      market,
      control: { status: async () => ({ breakers: [] }) as never },
      experiments: async () => ({ models: [] }) as never,
      notifier,
    });
    await job.tick(T("2020-01-10T09:00:00Z"));
    report = posted[0];
  });
  afterAll(async () => db?.dispose());

  it("realized: a completed switch saves the price gap for the hours the instance stayed, until it was gone", () => {
    // us-east-2c 12.240000 vs us-east-2a 3.672000 all day (records 2020-01-08T19:51:31, 2020-01-09T19:52:12
    // repeat them); i-A2 ran from the day's start until last seen at 18:00: 18 h × $8.568 = $154.224
    const byHand = hours("2020-01-09T00:00:00Z", "2020-01-09T18:00:00Z") * (12.24 - 3.672);
    expect(byHand).toBeCloseTo(154.224, 9);
    expect(report.realizedSavingsUsd).toBe(154.22);
    expect(report.hours?.realized).toBe(18);
  });

  it("missed: unapproved advice over the hours it stood, a repeated post counted once", () => {
    // i-C: advice stood from the day's start to its rejection at 06:30: 6.5 h × $8.568 = $55.692
    const c = hours("2020-01-09T00:00:00Z", "2020-01-09T06:30:00Z") * (12.24 - 3.672);
    // i-B: R1, R2 and R3 together stood the whole day, once. eu-west-1b 0.9915 all day; eu-west-1a in effect:
    const b =
      hours("2020-01-09T00:00:00Z", "2020-01-09T04:24:08Z") * (0.9979 - 0.9915) + // since 2020-01-08T22:49:46
      hours("2020-01-09T04:24:08Z", "2020-01-09T09:58:11Z") * (0.997 - 0.9915) +
      hours("2020-01-09T09:58:11Z", "2020-01-09T16:14:38Z") * (0.9932 - 0.9915) +
      hours("2020-01-09T16:14:38Z", "2020-01-09T23:28:56Z") * (0.9925 - 0.9915) +
      hours("2020-01-09T23:28:56Z", "2020-01-10T00:00:00Z") * (0.9938 - 0.9915);
    expect(b).toBeCloseTo(0.0779, 4);
    expect(Math.round((c + b) * 100) / 100).toBe(55.77);
    expect(report.counterfactualSavingsUsd).toBe(55.77);
    expect(report.hours?.missed).toBe(30.5); // 6.5 h of i-C + 24 h of i-B, not 24 h per post
  });

  it("decisions per instance (last advice of the day), not per tick; switches finished in the day", () => {
    expect(report.decisions).toEqual({ SWITCH: 1, STAY: 2 });
    expect(report.instances).toBe(3);
    expect(report.ticks).toBe(4);
    expect(report.switches).toEqual({ ok: 0, rolledBack: 1, failed: 0 });
  });

  it("the 30-day series puts each day's figures in its day", () => {
    expect(report.series).toHaveLength(30);
    expect(report.series.at(-1)).toEqual({ day: "2020-01-09", realized: 154.22, counterfactual: 55.77 });
    // 2020-01-08: i-A2 saved from 20:00 (4 h × $8.568 = $34.272); advice: i-C from 23:00 (1 h × $8.568) and
    // i-B's R1 from 22:00: eu-west-1a 0.995 (since 17:31:28) until 22:49:46, then 0.9979
    const b8 =
      hours("2020-01-08T22:00:00Z", "2020-01-08T22:49:46Z") * (0.995 - 0.9915) +
      hours("2020-01-08T22:49:46Z", "2020-01-09T00:00:00Z") * (0.9979 - 0.9915);
    expect(report.series.at(-2)).toEqual({
      day: "2020-01-08",
      realized: 34.27,
      counterfactual: Math.round((8.568 + b8) * 100) / 100,
    });
    expect(report.series.at(-2)?.counterfactual).toBe(8.58);
    expect(report.series.slice(0, -2).every((d) => d.realized === 0 && d.counterfactual === 0)).toBe(true);
  });

  it("the message says what the figures are", () => {
    const text = JSON.stringify(digestMessage(report).blocks);
    expect(text).toContain("$154.22 (completed switches, 18 instance-hours)");
    expect(text).toContain("$55.77 (advice not approved, 30.5 instance-hours)");
    expect(text).toContain(
      "1 instance advised to switch · 2 to stay (last advice of the day; 3 instances, 4 decide ticks)",
    );
  });
});

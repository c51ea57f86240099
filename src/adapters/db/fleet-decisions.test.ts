import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { CodedError } from "../../core/errors.js";
import { discoverFleet } from "../../core/fleet/discovery.js";
import type { Ec2Factory, Ec2Instance, Ec2Port } from "../../core/ports/ec2.js";
import type { Decision } from "../../core/types.js";
import { DbDecisionStore } from "./decision-repo.js";
import { ManagedInstanceEntity } from "./entities.js";
import { DbFleetStore } from "./fleet-repo.js";

const inst = (id: string, tags: Record<string, string>, extra: Partial<Ec2Instance> = {}): Ec2Instance => ({
  instanceId: id,
  instanceType: "m5.large",
  az: "us-east-1a",
  state: "running",
  lifecycle: "spot",
  securityGroupIds: [],
  tags,
  ...extra,
});

/** A factory whose ports only answer describeInstances; one account's role is broken. */
function factory(byAccount: Record<string, Ec2Instance[]>): Ec2Factory & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    async forAccount(accountId, region) {
      if (accountId === "222222222222") {
        throw new CodedError("aws_access_denied", "sts:AssumeRole denied for arn:aws:iam::222222222222:role/spotwise");
      }
      const port: Pick<Ec2Port, "accountId" | "region" | "describeInstances"> = {
        accountId,
        region,
        async describeInstances(input) {
          calls.push(input);
          return (byAccount[accountId] ?? []).filter((i) =>
            Object.entries(input.tagFilters ?? {}).every(([k, v]) => i.tags[k] === v),
          );
        },
      };
      // the discovery only calls describeInstances; the rest of the port is not needed here
      return port as unknown as Ec2Port;
    },
  };
}

describe(`fleet discovery and decisions on ${backendLabel()}`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => db?.dispose());

  it("finds tagged instances per account, reads lab-subject and AZ tags, and isolates a failing account", async () => {
    const store = new DbFleetStore(db);
    const f = factory({
      "111111111111": [
        inst("i-a", { "spotwise:managed": "true", "spotwise:model": "lab-v2", "spotwise:az-flexible": "true" }),
        inst("i-b", { "spotwise:managed": "true" }, { state: "stopped" }),
        inst("i-c", { owner: "someone" }),
      ],
    });
    const accounts = [
      { accountId: "111111111111", name: "prod", regions: ["us-east-1"] },
      { accountId: "222222222222", name: "broken", regions: ["us-east-1"] },
    ];
    const r = await discoverFleet(accounts, f, store, 1_000);
    expect(r.instances.map((i) => i.instanceId)).toEqual(["i-a"]);
    expect(r.instances[0]).toMatchObject({ modelOverride: "lab-v2", azFlexible: true, accountId: "111111111111" });
    expect(r.failures).toEqual([
      { accountId: "222222222222", region: "us-east-1", error: expect.stringMatching(/AssumeRole denied/) },
    ]);
    expect((await store.list()).map((i) => i.instanceId)).toEqual(["i-a"]);

    // the instance disappears: it leaves the managed fleet
    await discoverFleet(accounts.slice(0, 1), factory({}), store, 2_000);
    expect(await store.list()).toEqual([]);
  });

  it("keeps the pool clock of an unchanged instance and restarts it after a type or AZ change", async () => {
    const store = new DbFleetStore(db);
    const base = {
      accountId: "333333333333",
      region: "us-east-1",
      lifecycle: "spot" as const,
      azFlexible: false,
      tags: {},
    };
    await store.sync(
      "333333333333",
      "us-east-1",
      [{ ...base, instanceId: "i-p", az: "us-east-1a", instanceType: "m5.large", launchedAt: 100 }],
      1_000,
    );
    expect((await store.get("i-p"))?.launchedAt).toBe(100);
    await store.sync(
      "333333333333",
      "us-east-1",
      [{ ...base, instanceId: "i-p", az: "us-east-1a", instanceType: "m5.large" }],
      2_000,
    );
    expect((await store.get("i-p"))?.launchedAt).toBe(100);
    await store.sync(
      "333333333333",
      "us-east-1",
      [{ ...base, instanceId: "i-p", az: "us-east-1b", instanceType: "m5.large" }],
      3_000,
    );
    expect((await store.get("i-p"))?.launchedAt).toBe(3_000);
    expect((await new DbDecisionStore(db).history(["i-p"], 4_000)).get("i-p")?.poolSince).toBe(3_000);
  });

  it("compares before it writes: a steady fleet costs no row writes, changes and gone instances do", async () => {
    const store = new DbFleetStore(db);
    const conn = db.em().getConnection();
    const statements: string[] = [];
    const execute = conn.execute.bind(conn);
    conn.execute = (async (...args: Parameters<typeof conn.execute>) => {
      statements.push(String(args[0]).trim().split(/\s+/)[0]);
      return execute(...args);
    }) as typeof conn.execute;
    const acct = "444444444444";
    const fleet = ["i-s1", "i-s2", "i-s3"].map((instanceId) => ({
      instanceId,
      accountId: acct,
      region: "us-east-1",
      az: "us-east-1a",
      instanceType: "m5.large",
      lifecycle: "spot" as const,
      azFlexible: true,
      tags: { "spotwise:managed": "true", team: "x" },
    }));
    const seenAt = async (id: string) =>
      (await db.em().fork().findOne(ManagedInstanceEntity, { id }))?.lastSeenAt.getTime();
    try {
      await store.sync(acct, "us-east-1", fleet, 10_000);
      // the fleet's rows, and the region's listing time
      expect(statements.filter((x) => x === "insert")).toHaveLength(2);
      statements.length = 0;
      // same fleet, tags in another order, 15 minutes and then hours later: one read and the listing time, no
      // instance row written
      const reordered = fleet.map((i) => ({ ...i, tags: { team: "x", "spotwise:managed": "true" } }));
      await store.sync(acct, "us-east-1", reordered, 10_000 + 900_000);
      const listed = 10_000 + 5 * 3_600_000;
      await store.sync(acct, "us-east-1", reordered, listed);
      expect(statements).toEqual(["select", "insert", "select", "insert"]);
      expect(await seenAt("i-s1")).toBe(10_000);
      // one changes type, one is gone: one upsert row, one gone update whose last seen is the previous listing
      statements.length = 0;
      const later = listed + 900_000;
      await store.sync(acct, "us-east-1", [{ ...fleet[0], instanceType: "m5a.large" }, fleet[1]], later);
      expect(statements.sort()).toEqual(["insert", "insert", "select", "update"]);
      expect((await store.list({ accountId: acct })).map((i) => [i.instanceId, i.instanceType])).toEqual([
        ["i-s1", "m5a.large"],
        ["i-s2", "m5.large"],
      ]);
      expect(await seenAt("i-s1")).toBe(later);
      expect(await seenAt("i-s2")).toBe(10_000);
      expect(await seenAt("i-s3")).toBe(listed);
      expect((await store.get("i-s3"))?.instanceId).toBe("i-s3");
      expect((await store.list({ accountId: acct })).map((i) => i.instanceId)).not.toContain("i-s3");
      expect((await store.get("i-s1"))?.launchedAt).toBe(later);
    } finally {
      conn.execute = execute;
    }
  });

  it("saves a tick's decisions and reads them back with their reasons", async () => {
    const decisions = new DbDecisionStore(db);
    const d: Decision = {
      action: "SWITCH",
      instanceId: "i-a",
      accountId: "111111111111",
      from: { region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" },
      to: { region: "us-east-1", az: "us-east-1a", instanceType: "m5a.large" },
      savingPerHour: 0.01,
      savingPerMonth: 7.3,
      riskFrom: 0.02,
      riskTo: 0.01,
      modelName: "default",
      modelId: null,
      confidence: 0.8,
      fallback: false,
      strategy: "payback",
      reasons: ["saves 7.30 USD/month, pays back the switch in 40 h"],
      alternatives: [{ region: "us-east-1", az: "us-east-1a", instanceType: "m4.large" }],
      // every optional column goes through the bulk insert too
      managedId: "i-a0",
      priceSavingPerHour: 0.012,
      priceSavingPerMonth: 8.76,
      riskFromSource: "model",
      riskToSource: "advisor",
      launchFailureTo: 0.05,
    };
    const [id] = await decisions.saveTick(5_000, "shadow", [d, { ...d, action: "STAY", to: null, instanceId: "i-z" }]);
    const back = await decisions.get(id);
    expect(back).toMatchObject({ ...d, id, tickAt: 5_000, mode: "shadow", realizedSavingUsd: null });
    await decisions.setRealized(id, 1.25, 9_000);
    expect((await decisions.get(id))?.realizedSavingUsd).toBe(1.25);
    expect((await decisions.list({ action: "STAY" })).map((x) => x.instanceId)).toEqual(["i-z"]);
    const h = await decisions.history(["i-a", "i-unknown"], 10_000);
    expect(h.get("i-a")).toMatchObject({ poolSince: 1_000, switchesLastWeek: 0 });
    expect(h.get("i-unknown")).toEqual({ poolSince: null, lastSwitchAt: null, switchesLastWeek: 0 });
  });
});

describe(`lineage: history follows the managed instance across switches (${backendLabel()})`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => db?.dispose());

  it("a replacement inherits the managed id; last_switch_at, dwell and the weekly cap hold across switches", async () => {
    const store = new DbFleetStore(db);
    const decisions = new DbDecisionStore(db);
    const accounts = [{ accountId: "444444444444", name: "prod", regions: ["us-east-1"] }];
    const H = 3_600_000;
    const managed = { "spotwise:managed": "true" };
    const a = inst("i-first", managed, { launchTime: 0 });
    const r1 = await discoverFleet(accounts, factory({ "444444444444": [a] }), store, 10 * H);
    expect(r1.instances.map((i) => [i.instanceId, i.managedId])).toEqual([["i-first", "i-first"]]);

    // the saga launched i-second (tag spotwise:replaces) and has not terminated i-first yet: counted once
    const b = inst(
      "i-second",
      { ...managed, "spotwise:replaces": "i-first" },
      { launchTime: 20 * H, az: "us-east-1b" },
    );
    const during = await discoverFleet(accounts, factory({ "444444444444": [a, b] }), store, 20 * H);
    expect(during.instances.map((i) => i.instanceId)).toEqual(["i-first"]);

    const after = await discoverFleet(accounts, factory({ "444444444444": [b] }), store, 21 * H);
    expect(after.instances.map((i) => [i.instanceId, i.managedId])).toEqual([["i-second", "i-first"]]);
    const row = await db.em().findOne(ManagedInstanceEntity, { id: "i-second" });
    expect(row?.lastSwitchAt?.getTime()).toBe(20 * H);
    expect(row?.managedId).toBe("i-first");
    // old code: history was looked up by the new instance id and found nothing (no dwell, no weekly cap)
    const h = (await decisions.history(["i-first"], 22 * H)).get("i-first");
    expect(h).toEqual({ poolSince: 20 * H, lastSwitchAt: 20 * H, switchesLastWeek: 1 });

    // the replacement's candidates stay bounded by the first instance's type
    expect(after.instances[0].tags["spotwise:base-type"]).toBe("m5.large");
    // a second switch, to another type: the chain keeps the first id and type and counts both switches
    const c = inst(
      "i-third",
      { ...managed, "spotwise:replaces": "i-second" },
      { launchTime: 50 * H, instanceType: "m5.xlarge" },
    );
    const third = await discoverFleet(accounts, factory({ "444444444444": [c] }), store, 51 * H);
    expect(third.instances[0].tags["spotwise:base-type"]).toBe("m5.large");
    expect((await store.get("i-third"))?.managedId).toBe("i-first");
    expect((await decisions.history(["i-first"], 52 * H)).get("i-first")).toMatchObject({
      lastSwitchAt: 50 * H,
      switchesLastWeek: 2,
    });
    // a week later the first switch no longer counts
    expect((await decisions.history(["i-first"], 20 * H + 7 * 24 * H + 1)).get("i-first")?.switchesLastWeek).toBe(1);
  });

  it("keeps decisions of a managed instance together, whichever EC2 instance they were about", async () => {
    const decisions = new DbDecisionStore(db);
    const base: Decision = {
      action: "STAY",
      instanceId: "i-x1",
      managedId: "i-x1",
      accountId: "444444444444",
      from: { region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" },
      to: null,
      savingPerHour: 0,
      savingPerMonth: 0,
      priceSavingPerHour: 0,
      priceSavingPerMonth: 0,
      riskFrom: 3.4e-5,
      riskTo: null,
      riskFromSource: "observed",
      modelName: null,
      modelId: null,
      confidence: null,
      fallback: true,
      strategy: "cooldown",
      reasons: ["x"],
      alternatives: [],
    };
    await decisions.saveTick(1_000, "shadow", [base]);
    await decisions.saveTick(2_000, "shadow", [{ ...base, instanceId: "i-x2" }]);
    // a decision about the first instance of the lineage reads back without a separate managed id
    expect((await decisions.list({ instanceId: "i-x1" }))[0].managedId).toBeUndefined();
    const all = await decisions.list({ managedId: "i-x1" });
    expect(all.map((d) => d.instanceId)).toEqual(["i-x2", "i-x1"]);
    expect(all[0]).toMatchObject({ managedId: "i-x1", riskFromSource: "observed", priceSavingPerHour: 0 });
  });
});

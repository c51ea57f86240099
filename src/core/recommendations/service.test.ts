import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { switchDecision } from "../../../test/core/recommendation-fixtures.js";
import { testDatabase } from "../../../test/support/services.js";
import type { Database } from "../../adapters/db/orm.js";
import { DbRecommendationRepo } from "../../adapters/db/recommendation-repo.js";
import { MemoryAuditLog } from "../ports/audit.js";
import { ManualClock } from "../ports/clock.js";
import { RecommendationService, SNOOZE_MS } from "./service.js";

const HOUR = 3_600_000;

describe("RecommendationService on a real database", () => {
  let db: Database & { dispose(): Promise<void> };
  let clock: ManualClock;
  let audit: MemoryAuditLog;
  let svc: RecommendationService;

  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db.dispose();
  });
  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    audit = new MemoryAuditLog();
    svc = new RecommendationService({ repo: new DbRecommendationRepo(db), audit, clock, ttlMs: 4 * HOUR });
  });

  async function create(instanceId: string): Promise<string> {
    const r = await svc.create({ decision: switchDecision(instanceId), mode: "approve" });
    if (r.kind !== "created") throw new Error(`not created: ${r.kind}`);
    return r.rec.id;
  }

  it("creates a pending recommendation that round-trips the decision", async () => {
    const r = await svc.create({ decision: switchDecision("i-create"), mode: "approve" });
    expect(r.kind).toBe("created");
    if (r.kind !== "created") return;
    expect(r.rec.status).toBe("pending");
    expect(r.rec.decision).toEqual(switchDecision("i-create"));
    expect(r.rec.expiresAt).toBe(clock.now() + 4 * HOUR);
    expect(svc.toMessage(r.rec)).toMatchObject({ region: "us-east-1", mode: "approve", accountName: "123456789012" });
    expect(audit.events.map((e) => e.action)).toContain("recommendation.created");
  });

  it("re-arms in bulk only what still stands pending on the same decision row", async () => {
    const standing = await create("i-rearm-a");
    const approved = await create("i-rearm-b");
    const moved = await create("i-rearm-c");
    expect(await svc.approve(approved, "U1")).toMatchObject({ kind: "approved" });
    const recs = await Promise.all([standing, approved, moved].map((id) => svc.get(id)));
    const items = recs.map((r) => ({ id: r?.id ?? "", decisionId: r?.decisionId ?? "" }));
    // the third one's advice moved on to another decision row meanwhile
    items[2] = { ...items[2], decisionId: items[0].decisionId };
    clock.set(clock.now() + 3 * HOUR);
    expect(await svc.rearm(items)).toBe(1);
    const after = await Promise.all([standing, approved, moved].map((id) => svc.get(id)));
    expect(after.map((r) => r?.expiresAt)).toEqual([clock.now() + 4 * HOUR, recs[1]?.expiresAt, recs[2]?.expiresAt]);
    expect(after.map((r) => r?.status)).toEqual(["pending", "approved", "pending"]);
    expect(await svc.rearm([])).toBe(0);
  });

  it("lists standing advice narrowly: every pending one, in list()'s order, as list() has it", async () => {
    const carried = "a switch does not carry over: the instance store (ephemeral0)";
    const plain = await create("i-standing-a");
    const r = await svc.create({
      decision: switchDecision("i-standing-b", { reasons: ["cheaper", carried, `${carried} twice`] }),
      mode: "approve",
    });
    if (r.kind !== "created") throw new Error(r.kind);
    await svc.attachMessage(r.rec.id, { channel: "C1", ts: "1700000000.000100" });
    expect(await svc.approve(await create("i-standing-c"), "U1")).toMatchObject({ kind: "approved" });
    const standing = await svc.standing("a switch does not carry over: ");
    const pending = await svc.list({ statuses: ["pending"], limit: 10_000 });
    expect(standing.map((x) => x.id)).toEqual(pending.map((x) => x.id));
    expect(standing).toEqual(
      pending.map((x) => ({
        id: x.id,
        decisionId: x.decisionId,
        managedId: x.managedId,
        mode: x.mode,
        channel: x.channel,
        messageTs: x.messageTs,
        expiresAt: x.expiresAt,
        postedSavingPerMonth: x.postedSavingPerMonth,
        decision: { to: x.decision.to, savingPerMonth: x.decision.savingPerMonth },
        notCarried: x.decision.reasons.find((line) => line.startsWith("a switch does not carry over: ")) ?? null,
      })),
    );
    expect(standing.find((x) => x.id === r.rec.id)).toMatchObject({ notCarried: carried, channel: "C1" });
    expect(standing.find((x) => x.id === plain)?.notCarried).toBeNull();
    expect(standing.some((x) => x.managedId === "i-standing-c")).toBe(false);
  });

  it("refuses to create a recommendation for a STAY decision", async () => {
    const r = await svc.create({ decision: switchDecision("i-stay", { action: "STAY", to: null }), mode: "approve" });
    expect(r.kind).toBe("not_a_switch");
  });

  it("approves exactly once under concurrent clicks of several approvers", async () => {
    const id = await create("i-race");
    const results = await Promise.all(
      ["U1", "U2", "U3", "U1", "U2"].map((u) => svc.approve(id, u, { requiredApprovals: 1 })),
    );
    expect(results.filter((r) => r.kind === "approved")).toHaveLength(1);
    expect(results.filter((r) => r.kind === "already_approved").length).toBe(4);
    expect((await svc.get(id))?.status).toBe("approved");
  });

  it("needs two different approvers under the two-person rule", async () => {
    const id = await create("i-two");
    expect((await svc.approve(id, "U1", { requiredApprovals: 2 })).kind).toBe("needs_second");
    expect((await svc.approve(id, "U1", { requiredApprovals: 2 })).kind).toBe("same_approver");
    expect((await svc.get(id))?.status).toBe("pending");
    const r = await svc.approve(id, "U2", { requiredApprovals: 2 });
    expect(r.kind).toBe("approved");
    if (r.kind === "approved") expect(r.approvers.sort()).toEqual(["U1", "U2"]);
    expect((await svc.approve(id, "U3", { requiredApprovals: 2 })).kind).toBe("already_approved");
  });

  it("cannot approve after expiry, and expireDue reports each expired recommendation once", async () => {
    const a = await create("i-exp-a");
    const b = await create("i-exp-b");
    clock.advance(4 * HOUR);
    const r = await svc.approve(a, "U1");
    expect(r).toMatchObject({ kind: "expired", first: true });
    const due = await svc.expireDue();
    expect(due.map((x) => x.id)).toContain(b);
    expect(due.map((x) => x.id)).not.toContain(a);
    expect(await svc.expireDue()).toEqual([]);
    expect((await svc.get(a))?.status).toBe("expired");
  });

  it("supersedes the open recommendation of the same instance, which then cannot be approved", async () => {
    const old = await create("i-sup");
    const r = await svc.create({ decision: switchDecision("i-sup", { savingPerMonth: 40 }), mode: "approve" });
    if (r.kind !== "created") throw new Error(r.kind);
    expect(r.superseded.map((x) => x.id)).toEqual([old]);
    expect((await svc.approve(old, "U1")).kind).toBe("closed");
    expect((await svc.get(old))?.status).toBe("superseded");
  });

  it("rejects once; a later approve is refused", async () => {
    const id = await create("i-rej");
    const [a, b] = await Promise.all([svc.reject(id, "U1"), svc.reject(id, "U2")]);
    expect([a, b].filter((x) => x.kind === "done" && x.first)).toHaveLength(1);
    expect((await svc.approve(id, "U3")).kind).toBe("closed");
    expect((await svc.get(id))?.resolvedBy).toMatch(/^U[12]$/);
  });

  it("snoozes for 24 h: no new recommendation for the instance until then", async () => {
    const id = await create("i-snz");
    const r = await svc.snooze(id, "U1");
    expect(r.kind).toBe("done");
    expect((await svc.get(id))?.snoozedUntil).toBe(clock.now() + SNOOZE_MS);
    expect(await svc.create({ decision: switchDecision("i-snz"), mode: "approve" })).toEqual({
      kind: "snoozed",
      until: clock.now() + SNOOZE_MS,
    });
    clock.advance(SNOOZE_MS);
    expect((await svc.create({ decision: switchDecision("i-snz"), mode: "approve" })).kind).toBe("created");
  });

  it("records the outcome of the switch once", async () => {
    const id = await create("i-fin");
    await svc.approve(id, "U1");
    expect(await svc.markExecuting(id)).toBe(true);
    expect(await svc.finish(id, "rolled_back", { reason: "health check failed" })).toBe(true);
    expect(await svc.finish(id, "done")).toBe(false);
    expect((await svc.get(id))?.status).toBe("rolled_back");
  });

  it("lists recommendations by status and attaches the Slack message", async () => {
    const id = await create("i-list");
    await svc.attachMessage(id, { channel: "C1", ts: "1700000000.000100" });
    const open = await svc.list({ statuses: ["pending"], instanceId: "i-list" });
    expect(open.map((r) => [r.id, r.channel, r.messageTs])).toEqual([[id, "C1", "1700000000.000100"]]);
  });
});

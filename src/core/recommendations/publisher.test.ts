import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { switchDecision } from "../../../test/core/recommendation-fixtures.js";
import { testDatabase } from "../../../test/support/services.js";
import type { Database } from "../../adapters/db/orm.js";
import { DbRecommendationRepo } from "../../adapters/db/recommendation-repo.js";
import { MemoryAuditLog } from "../ports/audit.js";
import { ManualClock } from "../ports/clock.js";
import type {
  DigestReport,
  MessageRef,
  Notifier,
  RecommendationMessage,
  RecommendationView,
} from "../ports/notifier.js";
import { RecommendationPublisher } from "./publisher.js";
import { RecommendationService } from "./service.js";

class RecordingNotifier implements Notifier {
  readonly posted: Array<RecommendationMessage & { view: RecommendationView }> = [];
  readonly updated: Array<{ ref: MessageRef; rec: RecommendationMessage; view: RecommendationView }> = [];
  readonly resolved: Array<{ ref: MessageRef; id: string; status: string }> = [];
  async recommend(rec: RecommendationMessage, view: RecommendationView = {}): Promise<MessageRef> {
    this.posted.push({ ...rec, view });
    return { channel: "C1", ts: String(this.posted.length) };
  }
  async update(ref: MessageRef, rec: RecommendationMessage, view: RecommendationView = {}): Promise<void> {
    this.updated.push({ ref, rec, view });
  }
  async progress(): Promise<void> {}
  async announce(): Promise<void> {}
  async resolve(ref: MessageRef, rec: RecommendationMessage, status: string): Promise<void> {
    this.resolved.push({ ref, id: rec.recommendationId, status });
  }
  async digest(_d: DigestReport): Promise<void> {}
  async alert(): Promise<void> {}
}

describe("RecommendationPublisher: one living message per instance and advice", () => {
  let db: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(() => db.dispose());

  function setup(opts: { switchingOff?: () => Promise<string | null> } = {}) {
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    const recs = new RecommendationService({
      repo: new DbRecommendationRepo(db),
      audit: new MemoryAuditLog(),
      clock,
      ttlMs: 3600_000,
    });
    const notifier = new RecordingNotifier();
    const pub = new RecommendationPublisher(recs, notifier, {
      repostShare: 0.2,
      link: (ref) => `https://slack.test/${ref.ts}`,
      ...opts,
    });
    return { clock, recs, notifier, pub };
  }

  it("the same advice over 24 h of decide ticks is one post; figures refresh in place and the expiry is re-armed", async () => {
    const { clock, recs, notifier, pub } = setup();
    const first = await pub.publish({ decision: switchDecision("i-same"), mode: "approve" });
    if (first.kind !== "created") throw new Error(first.kind);
    for (let tick = 1; tick <= 96; tick++) {
      clock.advance(15 * 60_000);
      // the saving wanders within 20 % of the posted $22.63; it moves once (tick 50) by a visible cent amount
      const saving = tick === 50 ? 24.5 : 22.63;
      const r = await pub.publish({ decision: switchDecision("i-same", { savingPerMonth: saving }), mode: "approve" });
      expect(r.kind).toBe("refreshed");
      expect((await pub.expireDue()).map((x) => x.id)).not.toContain(first.rec.id);
    }
    expect(notifier.posted).toHaveLength(1);
    // only the ticks where a figure people read changed touched Slack: to 24.50 and back to 22.63
    expect(notifier.updated.map((u) => u.rec.decision.savingPerMonth)).toEqual([24.5, 22.63]);
    const rec = await recs.get(first.rec.id);
    expect(rec?.status).toBe("pending");
    expect(rec?.expiresAt).toBe(clock.now() + 3600_000);
    expect(rec?.messageTs).toBe("1");
  });

  it("a changed advice (another pool, or the saving moving by more than the share) posts anew and closes the old message with a link", async () => {
    const { recs, notifier, pub } = setup();
    const first = await pub.publish({ decision: switchDecision("i-change"), mode: "approve" });
    const bigger = await pub.publish({ decision: switchDecision("i-change", { savingPerMonth: 30 }), mode: "approve" });
    if (first.kind !== "created" || bigger.kind !== "created") throw new Error("expected two posts");
    expect(notifier.resolved).toEqual([
      {
        ref: { channel: "C1", ts: "1" },
        id: first.rec.id,
        status: expect.stringMatching(/Replaced by <https:\/\/slack\.test\/2\|newer advice> \(us-east-1b m5a\.large\)/),
      },
    ]);
    expect((await recs.get(first.rec.id))?.status).toBe("superseded");
    const otherPool = await pub.publish({
      decision: switchDecision("i-change", {
        savingPerMonth: 30,
        to: { region: "us-east-1", az: "us-east-1c", instanceType: "m5a.large" },
      }),
      mode: "approve",
    });
    expect(otherPool.kind).toBe("created");
    expect(notifier.posted).toHaveLength(3);
    expect(await recs.list({ instanceId: "i-change", statuses: ["pending"] })).toHaveLength(1);
  });

  it("an expired advice nobody answered is reopened in place when it comes back; after a rejection it is posted anew", async () => {
    const { clock, recs, notifier, pub } = setup();
    const first = await pub.publish({ decision: switchDecision("i-lapse"), mode: "approve" });
    if (first.kind !== "created") throw new Error(first.kind);
    clock.advance(3600_000);
    expect((await pub.expireDue()).map((r) => r.id)).toContain(first.rec.id);
    expect(notifier.resolved.at(-1)?.status).toMatch(/Expired .* unanswered: the advice was no longer renewed/);
    const again = await pub.publish({ decision: switchDecision("i-lapse"), mode: "approve" });
    expect(again).toMatchObject({ kind: "refreshed", reopened: true });
    expect(notifier.posted).toHaveLength(1);
    expect(notifier.updated.at(-1)?.ref).toEqual({ channel: "C1", ts: "1" });
    expect((await recs.get(first.rec.id))?.status).toBe("pending");

    await recs.reject(first.rec.id, "U1", "not now");
    const after = await pub.publish({ decision: switchDecision("i-lapse"), mode: "approve" });
    expect(after.kind).toBe("created");
    expect(notifier.posted).toHaveLength(2);
  });

  it("while switching is off the post has no Approve; refreshOpen puts the state on every open message", async () => {
    let off: string | null = "Switching is paused: `/spot resume`";
    const { notifier, pub } = setup({ switchingOff: async () => off });
    await pub.publish({ decision: switchDecision("i-off"), mode: "approve" });
    expect(notifier.posted[0].view).toEqual({ approveOff: off });
    off = null;
    expect(await pub.refreshOpen("approve")).toBeGreaterThanOrEqual(1);
    expect(notifier.updated.find((u) => u.rec.decision.instanceId === "i-off")?.view).toEqual({});
  });

  it("no new advice while a switch of the instance is approved or running", async () => {
    const { recs, notifier, pub } = setup();
    const first = await pub.publish({ decision: switchDecision("i-busy"), mode: "approve" });
    if (first.kind !== "created") throw new Error(first.kind);
    await recs.approve(first.rec.id, "U1");
    const r = await pub.publish({ decision: switchDecision("i-busy", { savingPerMonth: 99 }), mode: "approve" });
    expect(r.kind).toBe("in_flight");
    expect(notifier.posted).toHaveLength(1);
  });

  it("the database allows one pending recommendation per instance", async () => {
    const { recs } = setup();
    const repo = new DbRecommendationRepo(db);
    const a = await recs.create({ decision: switchDecision("i-uniq"), mode: "approve" });
    expect(a.kind).toBe("created");
    await expect(
      repo.insert({
        id: "00000000-0000-4000-8000-000000000001",
        decision: switchDecision("i-uniq"),
        mode: "approve",
        tickAt: 1,
        createdAt: 1,
        expiresAt: Date.UTC(2030, 0, 1),
      }),
    ).rejects.toThrow(/already has a pending recommendation/);
  });

  it("not a switch: nothing posted", async () => {
    const { pub } = setup();
    expect(
      await pub.publish({ decision: switchDecision("i-stay", { action: "STAY", to: null }), mode: "approve" }),
    ).toEqual({ kind: "not_a_switch" });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { switchDecision } from "../../../test/core/recommendation-fixtures.js";
import { testDatabase } from "../../../test/support/services.js";
import type { Database } from "../../adapters/db/orm.js";
import { DbRecommendationRepo } from "../../adapters/db/recommendation-repo.js";
import { MemoryAuditLog } from "../ports/audit.js";
import { ManualClock } from "../ports/clock.js";
import type { DigestReport, MessageRef, Notifier, RecommendationMessage } from "../ports/notifier.js";
import { RecommendationPublisher } from "./publisher.js";
import { RecommendationService } from "./service.js";

class RecordingNotifier implements Notifier {
  readonly posted: RecommendationMessage[] = [];
  readonly resolved: Array<{ ref: MessageRef; id: string; status: string }> = [];
  async recommend(rec: RecommendationMessage): Promise<MessageRef> {
    this.posted.push(rec);
    return { channel: "C1", ts: String(this.posted.length) };
  }
  async progress(): Promise<void> {}
  async resolve(ref: MessageRef, rec: RecommendationMessage, status: string): Promise<void> {
    this.resolved.push({ ref, id: rec.recommendationId, status });
  }
  async digest(_d: DigestReport): Promise<void> {}
  async alert(): Promise<void> {}
}

describe("RecommendationPublisher", () => {
  let db: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(() => db.dispose());

  it("posts, remembers the message, marks superseded and expired messages", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    const recs = new RecommendationService({
      repo: new DbRecommendationRepo(db),
      audit: new MemoryAuditLog(),
      clock,
      ttlMs: 3600_000,
    });
    const notifier = new RecordingNotifier();
    const pub = new RecommendationPublisher(recs, notifier);
    const first = await pub.publish({ decision: switchDecision("i-pub"), mode: "approve" });
    if (first.kind !== "created") throw new Error(first.kind);
    expect((await recs.get(first.rec.id))?.messageTs).toBe("1");
    const second = await pub.publish({ decision: switchDecision("i-pub", { savingPerMonth: 50 }), mode: "approve" });
    if (second.kind !== "created") throw new Error(second.kind);
    expect(notifier.resolved).toEqual([
      { ref: { channel: "C1", ts: "1" }, id: first.rec.id, status: expect.stringContaining("Superseded") },
    ]);
    expect(
      await pub.publish({ decision: switchDecision("i-stay", { action: "STAY", to: null }), mode: "approve" }),
    ).toEqual({
      kind: "not_a_switch",
    });
    clock.advance(3600_000);
    const expired = await pub.expireDue();
    expect(expired.map((r) => r.id)).toEqual([second.rec.id]);
    expect(notifier.resolved.at(-1)).toEqual({
      ref: { channel: "C1", ts: "2" },
      id: second.rec.id,
      status: expect.stringContaining("Expired"),
    });
  });
});

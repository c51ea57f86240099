/**
 * The daemon's side of recommendations: create one from a SWITCH decision, post it through the Notifier,
 * remember where it was posted, and keep old messages truthful (superseded, expired).
 */
import type { MessageRef, Notifier } from "../ports/notifier.js";
import type { Decision, Mode } from "../types.js";
import type { CreateResult, RecommendationService } from "./service.js";
import type { RecommendationRecord } from "./types.js";

export class RecommendationPublisher {
  constructor(
    private readonly recs: RecommendationService,
    private readonly notifier: Notifier,
  ) {}

  /** Creates and posts the recommendation; marks the messages of the ones it supersedes. */
  async publish(input: { decision: Decision; decisionId?: string; mode: Mode; ttlMs?: number }): Promise<CreateResult> {
    const r = await this.recs.create(input);
    if (r.kind !== "created") return r;
    const ref = await this.notifier.recommend(this.recs.toMessage(r.rec));
    await this.recs.attachMessage(r.rec.id, ref);
    for (const old of r.superseded) {
      await this.resolve(old, ":arrows_counterclockwise: Superseded by a newer recommendation for this instance.");
    }
    return { ...r, rec: { ...r.rec, channel: ref.channel, messageTs: ref.ts } };
  }

  /** Expires every overdue recommendation and turns its buttons into an "Expired" line. */
  async expireDue(): Promise<RecommendationRecord[]> {
    const expired = await this.recs.expireDue();
    for (const rec of expired) await this.resolve(rec, ":hourglass: Expired: not approved in time.");
    return expired;
  }

  private async resolve(rec: RecommendationRecord, status: string): Promise<void> {
    const ref = refOf(rec);
    if (ref) await this.notifier.resolve(ref, this.recs.toMessage(rec), status);
  }
}

function refOf(rec: RecommendationRecord): MessageRef | null {
  return rec.channel && rec.messageTs ? { channel: rec.channel, ts: rec.messageTs } : null;
}

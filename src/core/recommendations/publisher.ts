/**
 * The daemon's side of recommendations: one living message per managed instance and advice. A SWITCH
 * decision whose advice is already open refreshes that message in place (only when a figure people read
 * changed); a materially different advice posts a new message and closes the old one with a link to it;
 * overdue ones are closed as expired. Buttons follow whether switching is on now (mode, pause).
 */
import type { MessageRef, Notifier, RecommendationView } from "../ports/notifier.js";
import { type Decision, type Mode, poolId } from "../types.js";
import type { OfferResult, RecommendationService } from "./service.js";
import type { RecommendationRecord } from "./types.js";

export interface PublisherOptions {
  /** Share of the posted saving the saving may move by before a new message is posted (default 0.25). */
  repostShare?: number;
  /**
   * Why switching is off now, with the command that turns it on ("Switching is paused by … `/spot resume`"),
   * or null when it is on: open messages then show no Approve button.
   */
  switchingOff?: () => Promise<string | null>;
  /** A link to a posted message, for "replaced by newer advice". */
  link?: (ref: MessageRef) => string;
}

export class RecommendationPublisher {
  constructor(
    private readonly recs: RecommendationService,
    private readonly notifier: Notifier,
    private readonly opts: PublisherOptions = {},
  ) {}

  /**
   * Offers the decision: refreshed in place, reopened, or posted anew (closing the one it replaces).
   * `posted` is true when a new message went out.
   */
  async publish(input: {
    decision: Decision;
    decisionId?: string;
    mode: Mode;
    ttlMs?: number;
  }): Promise<OfferResult & { posted?: boolean }> {
    const r = await this.recs.offer(input, { repostShare: this.opts.repostShare });
    if (r.kind === "refreshed") {
      const ref = refOf(r.rec);
      if (!ref) return { ...r, ...(await this.post(r.rec, input.mode)) };
      if (r.reopened || figuresChanged(r.before.decision, r.rec.decision) || r.before.mode !== input.mode) {
        await this.notifier.update(ref, this.recs.toMessage(r.rec, input.mode), await this.view());
      }
      return r;
    }
    if (r.kind !== "created") return r;
    const { ref } = await this.post(r.rec, input.mode);
    for (const old of r.superseded) {
      const to = r.rec.decision.to;
      const link = this.opts.link ? `<${this.opts.link(ref)}|newer advice>` : "newer advice";
      await this.resolve(
        old,
        `:arrows_counterclockwise: Replaced by ${link}${to ? ` (${to.az} ${to.instanceType})` : ""}: the advice changed.`,
      );
    }
    return { ...r, rec: { ...r.rec, channel: ref.channel, messageTs: ref.ts }, posted: true };
  }

  /** Expires every overdue recommendation and turns its buttons into an "Expired" line. */
  async expireDue(): Promise<RecommendationRecord[]> {
    const expired = await this.recs.expireDue();
    for (const rec of expired) {
      await this.resolve(
        rec,
        `:hourglass: Expired ${new Date(rec.expiresAt).toISOString().slice(0, 16).replace("T", " ")} UTC unanswered: the advice was no longer renewed by the decide tick.`,
      );
    }
    return expired;
  }

  /** Re-renders every open message (after a mode change, a pause or a resume): Approve only while switching is on. */
  async refreshOpen(mode: Mode): Promise<number> {
    const view = await this.view();
    let n = 0;
    for (const rec of await this.recs.list({ statuses: ["pending"], limit: 500 })) {
      const ref = refOf(rec);
      if (!ref) continue;
      await this.notifier.update(ref, this.recs.toMessage(rec, mode), view);
      n++;
    }
    return n;
  }

  private async post(rec: RecommendationRecord, mode: Mode): Promise<{ ref: MessageRef; posted: true }> {
    const view = await this.view();
    const msg = this.recs.toMessage(rec, mode);
    const ref = await this.notifier.recommend(msg, view);
    await this.recs.attachMessage(rec.id, ref);
    return { ref, posted: true };
  }

  private async view(): Promise<RecommendationView> {
    const off = (await this.opts.switchingOff?.()) ?? null;
    return off ? { approveOff: off } : {};
  }

  private async resolve(rec: RecommendationRecord, status: string): Promise<void> {
    const ref = refOf(rec);
    if (ref) await this.notifier.resolve(ref, this.recs.toMessage(rec), status);
  }
}

function refOf(rec: RecommendationRecord): MessageRef | null {
  return rec.channel && rec.messageTs ? { channel: rec.channel, ts: rec.messageTs } : null;
}

/** Whether anything a reader sees moved: target, saving (to the cent), risk (2 significant digits), model, why. */
export function figuresChanged(a: Decision, b: Decision): boolean {
  const key = (d: Decision) =>
    JSON.stringify([
      d.to ? poolId(d.to) : null,
      d.savingPerMonth.toFixed(2),
      d.savingPerHour.toFixed(4),
      d.riskFrom.toPrecision(2),
      d.riskTo === null ? null : d.riskTo.toPrecision(2),
      d.modelName,
      d.fallback,
      d.strategy,
      d.reasons,
    ]);
  return key(a) !== key(b);
}

/**
 * What a click on Approve / Reject / Snooze does, after the ack. The recommendation service decides
 * (compare-and-set in the database); this flow checks the approver, tells the user, updates the message
 * and, for the one click that won, runs the switch in the background with its steps in the thread.
 */
import type { WebClient } from "@slack/web-api";
import type { MessageRef } from "../../core/ports/notifier.js";
import type { RecommendationRecord } from "../../core/recommendations/types.js";
import type { BotContext } from "../context.js";
import { esc, isoMinute } from "../views/format.js";
import { rejectModal } from "../views/reject-modal.js";
import { people, runApprovedSwitch } from "./switch-run.js";

export interface Click {
  userId: string;
  recommendationId: string;
  /** The message the button is on. */
  ref: MessageRef;
  client: WebClient;
  /** To open a dialog (valid for 3 s after the click). */
  triggerId?: string;
}

const SWITCH_CLAIM_MS = 7 * 24 * 3600 * 1000;

export class ApprovalFlow {
  constructor(private readonly ctx: BotContext) {}

  async approve(click: Click): Promise<void> {
    if (!(await this.authorizedRecommendation(click, "approve"))) return;
    const id = click.recommendationId;
    if (await this.refusedNow(click)) return;
    const twoPerson = this.ctx.config.twoPersonAccounts;
    const r = await this.ctx.services.recommendations.approve(id, click.userId, {
      requiredApprovals: (rec) => (twoPerson.includes(rec.accountId) ? 2 : 1),
    });
    switch (r.kind) {
      case "approved": {
        // The database made this click the winner; the idempotency key also covers a restored or replayed row.
        const claim = await this.ctx.kv.idempotency.claim(`switch:recommendation:${id}`, SWITCH_CLAIM_MS);
        if (!claim.claimed) {
          this.ctx.logger.warn({ recommendationId: id }, "switch already claimed for this recommendation");
          return;
        }
        // Started before anything else can fail: an approval must never be left without its switch.
        this.ctx.tasks.run(`switch ${id}`, () => this.runSwitch(r.rec, click.userId, click.ref));
        return;
      }
      case "needs_second":
        await this.update(
          click.ref,
          r.rec,
          `:hourglass_flowing_sand: Approved by <@${r.approvers[0]}>; the two-person rule of this account needs a second approver.`,
          true,
        );
        return this.ephemeral(click, "Your approval is recorded. A second approver must also click Approve.");
      case "same_approver":
        return this.ephemeral(
          click,
          "You already approved this one: the two-person rule needs a *different* approver.",
        );
      case "already_approved":
        return this.ephemeral(click, `Already approved by ${people(r.rec.resolvedBy)}; the switch runs once.`);
      case "expired":
        if (r.first)
          await this.update(click.ref, r.rec, `:hourglass: Expired at ${isoMinute(r.rec.expiresAt)}: not approved.`);
        return this.ephemeral(
          click,
          `This recommendation expired at ${isoMinute(r.rec.expiresAt)} and can no longer be approved. spotwise will post a fresh one if the switch still pays.`,
        );
      case "closed":
        return this.ephemeral(click, closedText(r.rec));
      case "not_found":
        return this.ephemeral(click, "This recommendation no longer exists.");
    }
  }

  /**
   * Refuse before burning: while switching could not start (paused, shadow mode, breaker open, budget used up)
   * the click is refused with the command that fixes it, and the recommendation stays open.
   */
  private async refusedNow(click: Click): Promise<boolean> {
    const rec = await this.ctx.services.recommendations.get(click.recommendationId);
    if (rec?.status !== "pending") return false; // the service explains closed ones
    const can = await this.ctx.services.control.canApprove(rec.accountId);
    if (can.ok) return false;
    await this.ctx.services.audit.record({
      at: this.ctx.clock.now(),
      actor: `slack:${click.userId}`,
      action: "recommendation.approve_refused",
      subject: rec.instanceId,
      detail: { recommendationId: rec.id, code: can.code, reason: can.reason },
    });
    await this.ephemeral(
      click,
      `:no_entry: Not approved: ${can.reason.replace(/\bslack:([UW][A-Z0-9]+)/g, "<@$1>")}. The recommendation stays open: approve it again once that is fixed.`,
    );
    return true;
  }

  /** Reject asks for an optional reason in a dialog; without a dialog (or if it cannot open) it rejects at once. */
  async askReject(click: Click): Promise<void> {
    if (!(await this.authorizedRecommendation(click, "reject"))) return;
    if (click.triggerId) {
      const rec = await this.ctx.services.recommendations.get(click.recommendationId);
      if (!rec) return this.ephemeral(click, "This recommendation no longer exists.");
      try {
        const triggerId = click.triggerId;
        await this.ctx.writes.run("views.open", undefined, () =>
          click.client.views.open({ trigger_id: triggerId, view: rejectModal(rec.id, click.ref, rec.instanceId) }),
        );
        return;
      } catch (e) {
        this.ctx.logger.warn({ err: e }, "reject dialog did not open; rejecting without a reason");
      }
    }
    return this.rejectNow(click);
  }

  /** The dialog was submitted (the user was checked again: dialogs can outlive a change of approvers). */
  async reject(click: Click, reason?: string): Promise<void> {
    if (!(await this.authorizedRecommendation(click, "reject"))) return;
    return this.rejectNow(click, reason);
  }

  private async rejectNow(click: Click, reason?: string): Promise<void> {
    const r = await this.ctx.services.recommendations.reject(click.recommendationId, click.userId, reason);
    if (r.kind === "done" && r.first) {
      return this.update(click.ref, r.rec, `:x: Rejected by <@${click.userId}>${reason ? `: ${esc(reason)}` : "."}`);
    }
    return this.answerVerdict(click, r);
  }

  async snooze(click: Click): Promise<void> {
    if (!(await this.authorizedRecommendation(click, "snooze"))) return;
    const r = await this.ctx.services.recommendations.snooze(click.recommendationId, click.userId);
    if (r.kind === "done" && r.first) {
      const until = r.rec.snoozedUntil ?? this.ctx.clock.now();
      return this.update(
        click.ref,
        r.rec,
        `:zzz: Snoozed by <@${click.userId}> until ${isoMinute(until)}: no new recommendation for this instance until then.`,
      );
    }
    return this.answerVerdict(click, r);
  }

  /**
   * The background part: runs the saga with its steps on the recommendation message (coalesced) and at most
   * three thread replies (started, rolling back, and the end with its reason), then records the outcome.
   */
  async runSwitch(rec: RecommendationRecord, approver: string, ref: MessageRef): Promise<void> {
    await runApprovedSwitch(
      {
        recommendations: this.ctx.services.recommendations,
        startSwitch: this.ctx.services.startSwitch,
        notifier: this.ctx.slack(ref.channel),
        log: this.ctx.logger,
        progressIntervalMs: this.ctx.config.progressIntervalMs,
        maxProgressUpdates: this.ctx.config.maxProgressUpdates,
      },
      rec,
      approver,
      ref,
    );
  }

  /**
   * After a crash between an approval and the start of its switch: runs every approved recommendation
   * whose switch never started (the compare-and-set in runSwitch keeps it to one runner).
   */
  async recoverApproved(): Promise<number> {
    const stuck = await this.ctx.services.recommendations.list({ statuses: ["approved"], limit: 100 });
    let n = 0;
    for (const rec of stuck) {
      if (!rec.channel || !rec.messageTs) {
        this.ctx.logger.warn({ recommendationId: rec.id }, "approved recommendation without a message: not recovered");
        continue;
      }
      const approver = (rec.resolvedBy ?? "").split(",")[0] || "unknown";
      this.ctx.tasks.run(`recover ${rec.id}`, () =>
        this.runSwitch(rec, approver, { channel: rec.channel ?? "", ts: rec.messageTs ?? "" }),
      );
      n++;
    }
    return n;
  }

  /**
   * Checks the clicking user first (no database work on the hot path); refuses (ephemeral + audit) otherwise.
   * Returns the id to act on; the service reports a missing recommendation itself.
   */
  private async authorizedRecommendation(click: Click, verb: string): Promise<{ id: string } | null> {
    const check = await this.ctx.approvers.check(click.userId);
    if (check.ok) return { id: click.recommendationId };
    const rec = await this.ctx.services.recommendations.get(click.recommendationId);
    await this.ctx.services.audit.record({
      at: this.ctx.clock.now(),
      actor: `slack:${click.userId}`,
      action: "slack.unauthorized_click",
      subject: rec?.instanceId ?? click.recommendationId,
      detail: { recommendationId: click.recommendationId, verb, why: check.why },
    });
    await this.ephemeral(
      click,
      `Only approvers may ${verb} switches: ${check.why}. Ask an approver, or an admin to add you.`,
    );
    return null;
  }

  private answerVerdict(
    click: Click,
    r: Awaited<ReturnType<BotContext["services"]["recommendations"]["reject"]>>,
  ): Promise<void> {
    if (r.kind === "not_found") return this.ephemeral(click, "This recommendation no longer exists.");
    return this.ephemeral(click, closedText(r.rec));
  }

  private async update(ref: MessageRef, rec: RecommendationRecord, status: string, keepButtons = false) {
    const msg = this.ctx.services.recommendations.toMessage(rec);
    await this.ctx.slack(ref.channel).update(ref, msg, { status, keepButtons });
  }

  private async ephemeral(click: Click, text: string): Promise<void> {
    await this.ctx.ephemeral(click.ref.channel, click.userId, text);
  }
}

function closedText(rec: RecommendationRecord): string {
  const by = rec.resolvedBy ? ` by ${people(rec.resolvedBy)}` : "";
  switch (rec.status) {
    case "superseded":
      return "This recommendation was superseded by a newer one for the same instance: act on the latest message.";
    case "rejected":
      return `This recommendation was already rejected${by}.`;
    case "snoozed":
      return `This recommendation is snoozed${by} until ${isoMinute(rec.snoozedUntil ?? rec.expiresAt)}.`;
    case "expired":
      return `This recommendation expired at ${isoMinute(rec.expiresAt)}.`;
    default:
      return `This recommendation is already ${rec.status.replace("_", " ")}${by}.`;
  }
}

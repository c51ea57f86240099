/**
 * Recommendation lifecycle service: the single place that decides what a click means.
 * Idempotent under double clicks, Slack retries and several replicas: every change is a
 * compare-and-set in the repository, verdicts are unique per user, and only the caller whose
 * compare-and-set won is told to act (`first: true`).
 */
import { randomUUID } from "node:crypto";
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { MessageRef, RecommendationMessage } from "../ports/notifier.js";
import { type Decision, type Mode, poolId } from "../types.js";
import type { RecommendationRecord, RecommendationRepo, RecommendationStatus, StandingAdvice } from "./types.js";

export const SNOOZE_MS = 24 * 60 * 60 * 1000;

export interface RecommendationServiceDeps {
  repo: RecommendationRepo;
  audit: AuditLog;
  clock: Clock;
  /** How long the buttons stay valid (config switch.approvalTtlMinutes). */
  ttlMs: number;
  snoozeMs?: number;
  newId?: () => string;
}

export type CreateResult =
  | { kind: "created"; rec: RecommendationRecord; superseded: RecommendationRecord[] }
  | { kind: "snoozed"; until: number }
  | { kind: "not_a_switch" };

export type OfferResult =
  | CreateResult
  /** The same advice is still open (or had expired unanswered): refreshed in place, no new post. */
  | { kind: "refreshed"; rec: RecommendationRecord; before: RecommendationRecord; reopened: boolean }
  /** A switch of this instance is approved or running: no new advice until it ends. */
  | { kind: "in_flight"; rec: RecommendationRecord };

/** Default share of the posted saving the saving may move by before the advice counts as changed. */
export const REPOST_SAVING_SHARE = 0.25;

export type ApproveResult =
  /** This call approved it: the caller runs the switch. */
  | { kind: "approved"; rec: RecommendationRecord; approvers: string[] }
  /** Two-person rule: recorded, one more approver needed. */
  | { kind: "needs_second"; rec: RecommendationRecord; approvers: string[] }
  /** Two-person rule: this user already gave the first approval. */
  | { kind: "same_approver"; rec: RecommendationRecord }
  /** Someone (or this same click, earlier) already approved it. */
  | { kind: "already_approved"; rec: RecommendationRecord }
  | { kind: "expired"; rec: RecommendationRecord; first: boolean }
  | { kind: "closed"; rec: RecommendationRecord }
  | { kind: "not_found" };

export type VerdictResult =
  | { kind: "done"; rec: RecommendationRecord; first: boolean }
  | { kind: "closed"; rec: RecommendationRecord }
  | { kind: "expired"; rec: RecommendationRecord; first: boolean }
  | { kind: "not_found" };

export type Outcome = "done" | "rolled_back" | "failed";

export class RecommendationService {
  private readonly snoozeMs: number;
  private readonly newId: () => string;

  constructor(private readonly deps: RecommendationServiceDeps) {
    this.snoozeMs = deps.snoozeMs ?? SNOOZE_MS;
    this.newId = deps.newId ?? randomUUID;
  }

  /**
   * Offers a SWITCH decision. Refused while the instance is snoozed; supersedes every older open
   * recommendation of the same instance (their messages should be resolved with the returned records).
   */
  async create(input: { decision: Decision; decisionId?: string; mode: Mode; ttlMs?: number }): Promise<CreateResult> {
    const { decision } = input;
    if (decision.action !== "SWITCH" || !decision.to) return { kind: "not_a_switch" };
    const now = this.deps.clock.now();
    const snooze = await this.deps.repo.activeSnooze(managedIdOf(decision), now);
    if (snooze?.snoozedUntil) return { kind: "snoozed", until: snooze.snoozedUntil };
    const id = this.newId();
    const superseded = await this.supersede(managedIdOf(decision), id);
    const rec = await this.deps.repo.insert({
      id,
      decisionId: input.decisionId,
      decision,
      mode: input.mode,
      tickAt: now,
      createdAt: now,
      expiresAt: now + (input.ttlMs ?? this.deps.ttlMs),
    });
    await this.deps.audit.record({
      at: now,
      actor: "daemon",
      action: "recommendation.created",
      subject: decision.instanceId,
      detail: { recommendationId: id, to: decision.to, savingPerMonth: decision.savingPerMonth, mode: input.mode },
    });
    return { kind: "created", rec, superseded };
  }

  /**
   * Offers a SWITCH decision as advice for its managed instance: refreshes the open recommendation in place
   * while the advice holds (same target pool, saving within `repostShare` of the posted one), reopens an
   * expired one nobody answered, and creates a new one (superseding the open one) only when the advice
   * materially changed or the last one was acted on.
   */
  async offer(
    input: { decision: Decision; decisionId?: string; mode: Mode; ttlMs?: number },
    opts: { repostShare?: number } = {},
  ): Promise<OfferResult> {
    const { decision } = input;
    if (decision.action !== "SWITCH" || !decision.to) return { kind: "not_a_switch" };
    const now = this.deps.clock.now();
    const [latest] = await this.deps.repo.list({ managedId: managedIdOf(decision), limit: 1 });
    if (latest && (latest.status === "approved" || latest.status === "executing")) {
      return { kind: "in_flight", rec: latest };
    }
    const share = opts.repostShare ?? REPOST_SAVING_SHARE;
    if (latest && (latest.status === "pending" || latest.status === "expired") && sameAdvice(latest, decision, share)) {
      const reopened = latest.status === "expired";
      const moved = await this.deps.repo.refresh(latest.id, {
        decisionId: input.decisionId,
        decision,
        mode: input.mode,
        tickAt: now,
        expiresAt: now + (input.ttlMs ?? this.deps.ttlMs),
        from: [latest.status],
      });
      if (moved) {
        const rec = (await this.deps.repo.get(latest.id)) ?? latest;
        if (reopened)
          await this.audit("daemon", "recommendation.reopened", rec, { savingPerMonth: decision.savingPerMonth });
        return { kind: "refreshed", rec, before: latest, reopened };
      }
    }
    return this.create(input);
  }

  /**
   * Renews unchanged advice in bulk: each pending recommendation still standing on its decision row gets the
   * expiry a refresh by offer() would give it (now + TTL), in one write per thousand. Nothing a reader sees
   * changes, so no message is touched. Returns how many were re-armed.
   */
  rearm(items: ReadonlyArray<{ id: string; decisionId: string }>, ttlMs?: number): Promise<number> {
    if (items.length === 0) return Promise.resolve(0);
    return this.deps.repo.rearm(items, this.deps.clock.now() + (ttlMs ?? this.deps.ttlMs));
  }

  async attachMessage(id: string, ref: MessageRef): Promise<void> {
    await this.deps.repo.setMessage(id, ref.channel, ref.ts);
  }

  get(id: string): Promise<RecommendationRecord | null> {
    return this.deps.repo.get(id);
  }

  list(filter: { statuses?: RecommendationStatus[]; instanceId?: string; managedId?: string; limit?: number } = {}) {
    return this.deps.repo.list(filter);
  }

  /** Every pending recommendation, narrowly (RecommendationRepo.standing()). */
  standing(notCarriedPrefix: string): Promise<StandingAdvice[]> {
    return this.deps.repo.standing(notCarriedPrefix);
  }

  /** Approve by `userId` (the caller has checked that this user is an approver). */
  async approve(
    id: string,
    userId: string,
    opts: { requiredApprovals?: 1 | 2 | ((rec: RecommendationRecord) => 1 | 2) } = {},
  ): Promise<ApproveResult> {
    const now = this.deps.clock.now();
    const rec = await this.deps.repo.get(id);
    if (!rec) return { kind: "not_found" };
    const r = opts.requiredApprovals ?? 1;
    const required = typeof r === "function" ? r(rec) : r;
    if (rec.status !== "pending") return this.closedForApproval(rec);
    if (rec.expiresAt <= now) return this.expire(rec, now);

    await this.deps.repo.addApproval(id, userId, "approve", now);
    const fresh: RecommendationRecord = { ...rec, approvals: await this.deps.repo.approvals(id) };
    const approvers = approversOf(fresh);
    if (approvers.length < required) {
      if (rec.approvals.some((a) => a.verdict === "approve" && a.userId === userId)) {
        return { kind: "same_approver", rec: fresh };
      }
      await this.audit(userId, "recommendation.approval_recorded", fresh, { approvers, required });
      return { kind: "needs_second", rec: fresh, approvers };
    }
    const resolvedBy = approvers.join(",");
    const won = await this.deps.repo.transition(
      id,
      ["pending"],
      "approved",
      { resolvedAt: now, resolvedBy },
      { notExpiredAt: now },
    );
    if (won) {
      const after: RecommendationRecord = { ...fresh, status: "approved", resolvedAt: now, resolvedBy };
      await this.audit(userId, "recommendation.approved", after, { approvers, required });
      return { kind: "approved", rec: after, approvers };
    }
    const after = (await this.deps.repo.get(id)) ?? fresh;
    if (after.status === "pending" && after.expiresAt <= now) return this.expire(after, now);
    return this.closedForApproval(after);
  }

  /** Rejects; the optional reason goes to the audit trail. */
  reject(id: string, userId: string, reason?: string): Promise<VerdictResult> {
    return this.verdict(id, userId, "reject", "rejected", {}, reason);
  }

  /** Hides the recommendation, and every new one for the same instance, for 24 h. */
  snooze(id: string, userId: string): Promise<VerdictResult> {
    return this.verdict(id, userId, "snooze", "snoozed", { snoozedUntil: this.deps.clock.now() + this.snoozeMs });
  }

  /** Marks every pending recommendation past its expiry as expired; returns those this call expired. */
  async expireDue(): Promise<RecommendationRecord[]> {
    const now = this.deps.clock.now();
    const out: RecommendationRecord[] = [];
    for (const rec of await this.deps.repo.duePending(now)) {
      const r = await this.expire(rec, now);
      if (r.kind === "expired" && r.first) out.push(r.rec);
    }
    return out;
  }

  /** Supersedes every pending recommendation of the managed instance except `exceptId`. */
  async supersede(managedId: string, exceptId?: string): Promise<RecommendationRecord[]> {
    const now = this.deps.clock.now();
    const open = await this.deps.repo.list({ managedId, statuses: ["pending"] });
    const out: RecommendationRecord[] = [];
    for (const rec of open) {
      if (rec.id === exceptId) continue;
      if (
        await this.deps.repo.transition(rec.id, ["pending"], "superseded", { resolvedAt: now, resolvedBy: "daemon" })
      ) {
        const after = (await this.deps.repo.get(rec.id)) ?? rec;
        await this.audit("daemon", "recommendation.superseded", after, { by: exceptId ?? null });
        out.push(after);
      }
    }
    return out;
  }

  /** approved → executing, when the switch starts. False when it was not approved (or already executing). */
  async markExecuting(id: string): Promise<boolean> {
    return this.deps.repo.transition(id, ["approved"], "executing", {});
  }

  /** approved/executing → done, rolled_back or failed. Idempotent: false when already final. */
  async finish(id: string, outcome: Outcome, detail: Record<string, unknown> = {}): Promise<boolean> {
    const now = this.deps.clock.now();
    const moved = await this.deps.repo.transition(id, ["approved", "executing"], outcome, { resolvedAt: now });
    if (moved) {
      const rec = await this.deps.repo.get(id);
      if (rec) await this.audit("daemon", `recommendation.${outcome}`, rec, detail);
    }
    return moved;
  }

  /** The notifier's view of a recommendation (`mode`: the mode now, when it changed since the decision). */
  toMessage(rec: RecommendationRecord, mode?: Mode): RecommendationMessage {
    return {
      recommendationId: rec.id,
      decision: rec.decision,
      region: rec.region,
      accountName: rec.accountName,
      expiresAt: rec.expiresAt,
      mode: mode ?? rec.mode,
    };
  }

  private async verdict(
    id: string,
    userId: string,
    verdict: "reject" | "snooze",
    to: RecommendationStatus,
    patch: { snoozedUntil?: number },
    reason?: string,
  ): Promise<VerdictResult> {
    const now = this.deps.clock.now();
    const rec = await this.deps.repo.get(id);
    if (!rec) return { kind: "not_found" };
    if (rec.status === "pending" && rec.expiresAt <= now) return this.expire(rec, now);
    if (rec.status !== "pending") return { kind: rec.status === to ? "done" : "closed", rec, first: false };
    await this.deps.repo.addApproval(id, userId, verdict, now);
    const won = await this.deps.repo.transition(id, ["pending"], to, { resolvedAt: now, resolvedBy: userId, ...patch });
    const after = (await this.deps.repo.get(id)) ?? rec;
    if (won) {
      await this.audit(userId, verdict === "reject" ? "recommendation.rejected" : "recommendation.snoozed", after, {
        snoozedUntil: after.snoozedUntil,
        ...(reason ? { reason } : {}),
      });
      return { kind: "done", rec: after, first: true };
    }
    return { kind: after.status === to ? "done" : "closed", rec: after, first: false };
  }

  private closedForApproval(rec: RecommendationRecord): ApproveResult {
    if (rec.status === "approved" || rec.status === "executing" || rec.status === "done") {
      return { kind: "already_approved", rec };
    }
    if (rec.status === "expired") return { kind: "expired", rec, first: false };
    return { kind: "closed", rec };
  }

  private async expire(
    rec: RecommendationRecord,
    now: number,
  ): Promise<{ kind: "expired"; rec: RecommendationRecord; first: boolean }> {
    const first = await this.deps.repo.transition(rec.id, ["pending"], "expired", {
      resolvedAt: now,
      resolvedBy: "expiry",
    });
    const after = (await this.deps.repo.get(rec.id)) ?? rec;
    if (first) await this.audit("daemon", "recommendation.expired", after, {});
    return { kind: "expired", rec: after, first };
  }

  private audit(actor: string, action: string, rec: RecommendationRecord, detail: Record<string, unknown>) {
    return this.deps.audit.record({
      at: this.deps.clock.now(),
      actor: actor === "daemon" ? "daemon" : `slack:${actor}`,
      action,
      subject: rec.instanceId,
      detail: { recommendationId: rec.id, accountId: rec.accountId, ...detail },
    });
  }
}

/** The managed instance a decision is about (its stable id; the instance id before lineage existed). */
export function managedIdOf(d: Decision): string {
  return d.managedId ?? d.instanceId;
}

/** Same target pool, and the saving within `share` of the one the message was posted with. */
export function sameAdvice(
  rec: { decision: Pick<Decision, "to" | "savingPerMonth">; postedSavingPerMonth: number | null },
  decision: Decision,
  share: number,
): boolean {
  if (!rec.decision.to || !decision.to || poolId(rec.decision.to) !== poolId(decision.to)) return false;
  const posted = rec.postedSavingPerMonth ?? rec.decision.savingPerMonth;
  return Math.abs(decision.savingPerMonth - posted) <= share * Math.abs(posted);
}

function approversOf(rec: RecommendationRecord): string[] {
  return [...new Set(rec.approvals.filter((a) => a.verdict === "approve").map((a) => a.userId))];
}

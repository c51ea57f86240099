/**
 * The recommendation lifecycle: a SWITCH decision offered to people, approved (by one or two approvers),
 * rejected, snoozed, expired or superseded, then executed. Plain data, no SDK types.
 */
import type { Decision, EpochMs, Mode } from "../types.js";

export type RecommendationStatus =
  | "pending"
  | "approved"
  | "rejected"
  | "snoozed"
  | "expired"
  | "superseded"
  | "executing"
  | "done"
  | "rolled_back"
  | "failed";

/** Statuses in which nothing can happen to a recommendation any more. */
export const FINAL_STATUSES: readonly RecommendationStatus[] = [
  "rejected",
  "expired",
  "superseded",
  "done",
  "rolled_back",
  "failed",
];

export type Verdict = "approve" | "reject" | "snooze";

export interface ApprovalRecord {
  userId: string;
  verdict: Verdict;
  at: EpochMs;
}

export interface RecommendationRecord {
  id: string;
  decisionId: string;
  instanceId: string;
  /** The managed instance (stable across switches): at most one pending recommendation each. */
  managedId: string;
  accountId: string;
  accountName: string;
  region: string;
  mode: Mode;
  status: RecommendationStatus;
  decision: Decision;
  channel: string | null;
  messageTs: string | null;
  expiresAt: EpochMs;
  snoozedUntil: EpochMs | null;
  createdAt: EpochMs;
  resolvedAt: EpochMs | null;
  resolvedBy: string | null;
  approvals: ApprovalRecord[];
  /** The saving the message was posted with (refreshes keep it; a move by more than a share reposts). */
  postedSavingPerMonth: number | null;
}

/**
 * A pending recommendation as the decide tick weighs new advice against it (RecommendationRepo.standing()): what
 * says whether the advice still stands as posted, without its verdicts, account or whole decision.
 */
export interface StandingAdvice {
  id: string;
  decisionId: string;
  managedId: string;
  mode: Mode;
  channel: string | null;
  messageTs: string | null;
  expiresAt: EpochMs;
  postedSavingPerMonth: number | null;
  /** Of its decision row: the target and the saving, and the reason naming what a switch does not carry over. */
  decision: Pick<Decision, "to" | "savingPerMonth">;
  notCarried: string | null;
}

export interface NewRecommendation {
  id: string;
  /** The decision row this comes from; when absent the repository stores the decision itself. */
  decisionId?: string;
  decision: Decision;
  mode: Mode;
  tickAt: EpochMs;
  createdAt: EpochMs;
  expiresAt: EpochMs;
}

/** New figures for an open recommendation whose advice still holds (same target, similar saving). */
export interface RefreshRecommendation {
  /** The decision row of this tick; when absent the repository stores the decision itself. */
  decisionId?: string;
  decision: Decision;
  mode: Mode;
  tickAt: EpochMs;
  expiresAt: EpochMs;
  /** Only from these statuses (pending, or expired to reopen it); the row becomes pending. */
  from: readonly RecommendationStatus[];
}

export interface TransitionPatch {
  resolvedAt?: EpochMs | null;
  resolvedBy?: string | null;
  snoozedUntil?: EpochMs | null;
}

/**
 * Persistence of recommendations. Every state change is a compare-and-set on the status, so that
 * double clicks, retries and several replicas race safely: exactly one caller sees `true`.
 */
export interface RecommendationRepo {
  insert(input: NewRecommendation): Promise<RecommendationRecord>;
  get(id: string): Promise<RecommendationRecord | null>;
  list(filter: {
    statuses?: RecommendationStatus[];
    instanceId?: string;
    managedId?: string;
    limit?: number;
  }): Promise<RecommendationRecord[]>;
  /** Moves `id` from one of `from` to `to`; with `notExpiredAt`, only while expires_at is after it. True when this call moved it. */
  transition(
    id: string,
    from: readonly RecommendationStatus[],
    to: RecommendationStatus,
    patch: TransitionPatch,
    guard?: { notExpiredAt?: EpochMs },
  ): Promise<boolean>;
  /** Records a verdict once per (recommendation, user, verdict); false when it was already there. */
  addApproval(id: string, userId: string, verdict: Verdict, at: EpochMs): Promise<boolean>;
  /** The verdicts recorded so far, oldest first. */
  approvals(id: string): Promise<ApprovalRecord[]>;
  setMessage(id: string, channel: string, ts: string): Promise<void>;
  /**
   * Points the recommendation at fresh figures and re-arms its expiry (compare-and-set on `from`). False when it
   * moved on meanwhile, or when reopening would make a second pending recommendation for the instance.
   */
  refresh(id: string, input: RefreshRecommendation): Promise<boolean>;
  /**
   * Re-arms the expiry of pending recommendations that still stand on the given decision rows, in bulk (the
   * decide tick's renewal of unchanged advice): a recommendation that moved on (answered, superseded, pointed
   * at another decision) is left alone. Returns how many were re-armed.
   */
  rearm(items: ReadonlyArray<{ id: string; decisionId: string }>, expiresAt: EpochMs): Promise<number>;
  /**
   * Every pending recommendation as StandingAdvice, newest first (as list() orders them); `notCarriedPrefix`
   * starts the reason line to return as `notCarried`.
   */
  standing(notCarriedPrefix: string): Promise<StandingAdvice[]>;
  /** Pending recommendations whose expires_at is at or before `now`. */
  duePending(now: EpochMs): Promise<RecommendationRecord[]>;
  /** The latest snooze of a managed instance still running at `now`, if any. */
  activeSnooze(managedId: string, now: EpochMs): Promise<RecommendationRecord | null>;
}

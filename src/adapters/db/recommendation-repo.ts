/**
 * Recommendations and their verdicts on the recommendation, approval and decision tables.
 * State changes are single conditional UPDATEs (compare-and-set on the status), verdicts rely on the
 * unique (recommendation_id, user_id, verdict) index: safe under concurrent clicks and replicas.
 */
import { randomUUID } from "node:crypto";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { CodedError } from "../../core/errors.js";
import type {
  ApprovalRecord,
  NewRecommendation,
  RecommendationRecord,
  RecommendationRepo,
  RecommendationStatus,
  RefreshRecommendation,
  StandingAdvice,
  TransitionPatch,
  Verdict,
} from "../../core/recommendations/types.js";
import { decisionRow } from "./decision-rows.js";
import { ApprovalEntity, DecisionEntity, RecommendationEntity, type RecommendationRow } from "./entities.js";
import type { Database } from "./orm.js";
import { readRecommendations, readStanding } from "./recommendation-read.js";

/**
 * Lets pending I/O (a Slack ack waiting to be written) run between queries: with PGlite the database runs
 * inside this process and a chain of queries would otherwise never leave the microtask queue.
 */
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Recommendations re-armed per statement. */
const REARM_CHUNK = 1_000;

export class DbRecommendationRepo implements RecommendationRepo {
  constructor(private readonly db: Database) {}

  async insert(input: NewRecommendation): Promise<RecommendationRecord> {
    await yieldToIo();
    const em = this.db.em();
    try {
      await this.insertRows(em, input);
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new CodedError(
          "conflict",
          `managed instance ${managedIdOfDecision(input.decision)} already has a pending recommendation (one per managed instance)`,
        );
      }
      throw e;
    }
    const rec = await this.get(input.id);
    if (!rec) throw new Error(`recommendation ${input.id} vanished after insert`);
    return rec;
  }

  private async insertRows(em: ReturnType<Database["em"]>, input: NewRecommendation): Promise<void> {
    await em.transactional(async (tx) => {
      const decisionId = input.decisionId ?? input.id;
      const stored = input.decisionId ? await tx.findOne(DecisionEntity, { id: decisionId }) : null;
      if (!stored) tx.create(DecisionEntity, decisionRow(decisionId, input.decision, input.mode, input.tickAt));
      tx.create(RecommendationEntity, {
        id: input.id,
        decisionId,
        instanceId: input.decision.instanceId,
        managedId: managedIdOfDecision(input.decision),
        accountId: input.decision.accountId,
        status: "pending",
        expiresAt: new Date(input.expiresAt),
        createdAt: new Date(input.createdAt),
        postedSavingPerMonth: input.decision.savingPerMonth,
      });
    });
  }

  async get(id: string): Promise<RecommendationRecord | null> {
    await yieldToIo();
    const [rec] = await this.read("r.id = ?", [id], "r.id", 1);
    return rec ?? null;
  }

  async list(
    filter: { statuses?: RecommendationStatus[]; instanceId?: string; managedId?: string; limit?: number } = {},
  ): Promise<RecommendationRecord[]> {
    await yieldToIo();
    const where: string[] = ["true"];
    const params: unknown[] = [];
    if (filter.statuses) {
      if (filter.statuses.length === 0) return [];
      where.push(`r.status in (${filter.statuses.map(() => "?").join(", ")})`);
      params.push(...filter.statuses);
    }
    if (filter.instanceId) {
      where.push("r.instance_id = ?");
      params.push(filter.instanceId);
    }
    if (filter.managedId) {
      where.push("r.managed_id = ?");
      params.push(filter.managedId);
    }
    // newest first; advice posted at the same tick in instance order (deterministic for callers that act on it)
    return this.read(where.join(" and "), params, "r.created_at desc, r.instance_id, r.id", filter.limit ?? 100);
  }

  async transition(
    id: string,
    from: readonly RecommendationStatus[],
    to: RecommendationStatus,
    patch: TransitionPatch,
    guard: { notExpiredAt?: number } = {},
  ): Promise<boolean> {
    await yieldToIo();
    const where: Record<string, unknown> = { id, status: { $in: [...from] } };
    if (guard.notExpiredAt !== undefined) where.expiresAt = { $gt: new Date(guard.notExpiredAt) };
    const set: Partial<RecommendationRow> = { status: to };
    if (patch.resolvedAt !== undefined) set.resolvedAt = patch.resolvedAt === null ? null : new Date(patch.resolvedAt);
    if (patch.resolvedBy !== undefined) set.resolvedBy = patch.resolvedBy;
    if (patch.snoozedUntil !== undefined) {
      set.snoozedUntil = patch.snoozedUntil === null ? null : new Date(patch.snoozedUntil);
    }
    const n = await this.db.em().nativeUpdate(RecommendationEntity, where, set);
    return n === 1;
  }

  async addApproval(id: string, userId: string, verdict: Verdict, at: number): Promise<boolean> {
    await yieldToIo();
    try {
      await this.db.em().insert(ApprovalEntity, { recommendationId: id, userId, verdict, createdAt: new Date(at) });
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async approvals(id: string): Promise<ApprovalRecord[]> {
    await yieldToIo();
    const rows = await this.db.em().find(ApprovalEntity, { recommendationId: id }, { orderBy: { id: "asc" } });
    return rows.map((a) => ({ userId: a.userId, verdict: a.verdict, at: a.createdAt.getTime() }));
  }

  async setMessage(id: string, channel: string, ts: string): Promise<void> {
    await yieldToIo();
    await this.db.em().nativeUpdate(RecommendationEntity, { id }, { channel, messageTs: ts });
  }

  async refresh(id: string, input: RefreshRecommendation): Promise<boolean> {
    await yieldToIo();
    try {
      return await this.db.em().transactional(async (tx) => {
        const decisionId = input.decisionId ?? randomUUID();
        const stored = input.decisionId ? await tx.findOne(DecisionEntity, { id: decisionId }) : null;
        if (!stored) {
          tx.create(DecisionEntity, decisionRow(decisionId, input.decision, input.mode, input.tickAt));
          await tx.flush();
        }
        const n = await tx.nativeUpdate(
          RecommendationEntity,
          { id, status: { $in: [...input.from] } },
          { decisionId, status: "pending", expiresAt: new Date(input.expiresAt), resolvedAt: null, resolvedBy: null },
        );
        return n === 1;
      });
    } catch (e) {
      // reopening an expired one while another is pending for the instance (one pending per instance)
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async rearm(items: ReadonlyArray<{ id: string; decisionId: string }>, expiresAt: number): Promise<number> {
    let n = 0;
    const conn = this.db.em().getConnection();
    for (let i = 0; i < items.length; i += REARM_CHUNK) {
      await yieldToIo();
      const part = items.slice(i, i + REARM_CHUNK);
      const res = await conn.execute<{ affectedRows?: number }>(
        `update recommendation set expires_at = ? where status = 'pending'
           and (id, decision_id) in (${part.map(() => "(?::uuid, ?::uuid)").join(", ")})`,
        [new Date(expiresAt), ...part.flatMap((x) => [x.id, x.decisionId])],
        "run",
      );
      n += res.affectedRows ?? 0;
    }
    return n;
  }

  async duePending(now: number): Promise<RecommendationRecord[]> {
    await yieldToIo();
    return this.read(
      "r.status = 'pending' and r.expires_at <= ?",
      [new Date(now)],
      "r.expires_at, r.instance_id, r.id",
      500,
    );
  }

  async standing(notCarriedPrefix: string): Promise<StandingAdvice[]> {
    await yieldToIo();
    return readStanding(this.db.em().getConnection(), notCarriedPrefix);
  }

  async activeSnooze(managedId: string, now: number): Promise<RecommendationRecord | null> {
    await yieldToIo();
    const [rec] = await this.read(
      "r.managed_id = ? and r.status = 'snoozed' and r.snoozed_until > ?",
      [managedId, new Date(now)],
      "r.snoozed_until desc, r.id",
      1,
    );
    return rec ?? null;
  }

  private read(where: string, params: unknown[], order: string, limit: number): Promise<RecommendationRecord[]> {
    return readRecommendations(this.db.em().getConnection(), where, params, order, limit);
  }
}

function managedIdOfDecision(d: { instanceId: string; managedId?: string }): string {
  return d.managedId ?? d.instanceId;
}

function isUniqueViolation(e: unknown): boolean {
  if (e instanceof UniqueConstraintViolationException) return true;
  const code = (e as { code?: unknown })?.code;
  return code === "23505";
}

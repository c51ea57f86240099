/**
 * What the daily digest is computed from, read from the decision, tick, recommendation, switch and fleet tables:
 * decisions per instance (its last advice of the day, from the decisions standing at the day's ticks), the switches that finished in the
 * day, every completed switch whose effect reaches the 30-day window, and every advice nobody approved that
 * stood in it. The money is priced on the market series by the digest job (src/core/digest/savings.ts).
 */
import type { CompletedSwitch, StoodAdvice } from "../../core/digest/savings.js";
import { type PoolKey, parsePoolId } from "../../core/types.js";
import { RecommendationEntity } from "./entities.js";
import { SwitchExecutionEntity } from "./entities-ops.js";
import type { Database } from "./orm.js";
import { poolOf } from "./pool-json.js";

const DAY = 86_400_000;

/** Recommendation statuses of advice nobody approved. */
export const UNAPPROVED = ["pending", "expired", "rejected", "snoozed", "superseded"] as const;

export interface DigestFacts {
  /** Managed instances (a lineage across switches) by their last decided action in the day ("SWITCH" 3, "STAY" 12). */
  decisions: Record<string, number>;
  /** Instances decided in the day. */
  instances: number;
  /** Decide ticks in the day. */
  ticks: number;
  /** Switches that finished in the day, by outcome. */
  switches: { ok: number; rolledBack: number; failed: number };
  /** Completed switches finished before the day's end (the realized savings of the window come from these). */
  completed: CompletedSwitch[];
  /** Advice nobody approved that stood at some point of the 30-day window. */
  advice: StoodAdvice[];
  /** Instances no longer seen (terminated, or no longer managed), with when they were last seen. */
  goneAt: Map<string, number>;
  /** Start of the 30-day window (the day's end minus 30 days). */
  windowStart: number;
}

export class DigestQueries {
  constructor(private readonly db: Database) {}

  /** Facts for the day [dayStart, dayStart + 24 h) and the 30 days that end with it. */
  async facts(dayStart: number): Promise<DigestFacts> {
    const em = this.db.em();
    const conn = em.getConnection();
    const dayEnd = dayStart + DAY;
    const windowStart = dayEnd - 30 * DAY;
    const from = new Date(dayStart);
    const to = new Date(dayEnd);

    const [lastActions, tickRows, finished, done, recs] = await Promise.all([
      // decisions are kept as changes (a row stands from its tick until ended_at): an instance was decided in the
      // day when one of its rows stood at one of the day's ticks; its last such row is its last advice of the day
      conn.execute<Array<{ action: string; n: string | number }>>(
        `with t as (select min(tick_at) as first_at, max(tick_at) as last_at from decision_tick
           where tick_at >= ? and tick_at < ?)
         select action, count(*) as n from (
           select distinct on (coalesce(d.managed_id, d.instance_id)) d.action from decision d, t
           where d.tick_at <= t.last_at and (d.ended_at is null or d.ended_at > t.first_at)
           order by coalesce(d.managed_id, d.instance_id), d.tick_at desc, d.id desc
         ) last group by action`,
        [from, to],
      ),
      conn.execute<Array<{ n: string | number }>>(
        "select count(*) as n from decision_tick where tick_at >= ? and tick_at < ?",
        [from, to],
      ),
      em.find(SwitchExecutionEntity, { finishedAt: { $gte: from, $lt: to } }),
      em.find(SwitchExecutionEntity, { state: "done", finishedAt: { $lt: to } }, { orderBy: { finishedAt: "asc" } }),
      em.find(RecommendationEntity, {
        status: { $in: [...UNAPPROVED] },
        createdAt: { $lt: to },
        $or: [{ resolvedAt: null }, { resolvedAt: { $gte: new Date(windowStart) } }],
      }),
    ]);

    const decisions: Record<string, number> = {};
    let instances = 0;
    for (const r of lastActions) {
      decisions[r.action] = Number(r.n);
      instances += Number(r.n);
    }
    const switches = {
      ok: finished.filter((s) => s.state === "done").length,
      rolledBack: finished.filter((s) => s.state === "rolled_back").length,
      failed: finished.filter((s) => s.state !== "done" && s.state !== "rolled_back" && s.state !== "refused").length,
    };
    const completed: CompletedSwitch[] = [];
    for (const s of done) {
      const target = poolOf(s.targets[s.targetIndex] ?? s.targets[0]);
      if (!target || !s.finishedAt) continue;
      completed.push({
        instanceId: s.instanceId,
        newInstanceId: s.newInstanceId ?? null,
        from: parsePoolId(s.fromPool),
        to: target,
        finishedAt: s.finishedAt.getTime(),
      });
    }

    // a switched-to instance that is gone stopped saving when it was last seen
    const running = [...new Set(completed.map((c) => c.newInstanceId ?? c.instanceId))];
    const gone: Array<{ id: string; last_seen_at: Date | string }> = running.length
      ? await conn.execute(
          `select id, last_seen_at from managed_instance where state = 'gone' and id in (${running.map(() => "?").join(", ")})`,
          running,
        )
      : [];

    const decisionIds = [...new Set(recs.map((r) => r.decisionId))];
    const pools = new Map<string, { from: PoolKey; to: PoolKey | null }>();
    if (decisionIds.length) {
      const rows = await conn.execute<Array<{ id: string; from_pool: string; to_pool: string | null }>>(
        `select id, from_pool, to_pool from decision where id in (${decisionIds.map(() => "?").join(", ")})`,
        decisionIds,
      );
      for (const r of rows) {
        pools.set(r.id, { from: parsePoolId(r.from_pool), to: r.to_pool ? parsePoolId(r.to_pool) : null });
      }
    }
    const advice: StoodAdvice[] = [];
    for (const r of recs) {
      const p = pools.get(r.decisionId);
      if (!p?.to) continue;
      advice.push({
        instanceId: r.instanceId,
        from: p.from,
        to: p.to,
        createdAt: r.createdAt.getTime(),
        // advice stands until it is resolved; pending advice until its buttons expire (the expiry is re-armed while it holds)
        endedAt: (r.resolvedAt ?? r.expiresAt).getTime(),
      });
    }
    return {
      decisions,
      instances,
      ticks: Number(tickRows[0]?.n ?? 0),
      switches,
      completed,
      advice,
      goneAt: new Map(gone.map((g) => [g.id, new Date(g.last_seen_at).getTime()])),
      windowStart,
    };
  }
}

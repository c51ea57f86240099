/**
 * Reading recommendations whole in one statement: each row with its decision (row_to_json), its verdicts
 * (json_agg, oldest first) and its account's name. It replaces an entity read followed by three more (decisions,
 * approvals and accounts by id lists), which at fleet scale (the decide tick lists thousands of pending
 * recommendations) spent its time hydrating entities and sending lists of thousands of ids.
 */
import type { ApprovalRecord, RecommendationRecord, StandingAdvice } from "../../core/recommendations/types.js";
import { type Mode, parsePoolId } from "../../core/types.js";
import { decisionFromRow } from "./decision-rows.js";
import type { DecisionRow, RecommendationRow } from "./entities.js";

type Conn = { execute<T>(sql: string, params?: unknown[]): Promise<T> };

const SELECT = `select r.id, r.decision_id, r.instance_id, r.managed_id, r.account_id, r.status, r.channel,
    r.message_ts, r.expires_at, r.snoozed_until, r.created_at, r.resolved_at, r.resolved_by,
    r.posted_saving_per_month, acc.name as account_name, row_to_json(d) as decision,
    coalesce((select json_agg(json_build_object('userId', a.user_id, 'verdict', a.verdict, 'at', a.created_at)
        order by a.id) from approval a where a.recommendation_id = r.id), '[]'::json) as approvals
  from recommendation r
  join decision d on d.id = r.decision_id
  left join account acc on acc.id = r.account_id`;

interface Raw {
  id: string;
  decision_id: string;
  instance_id: string;
  managed_id: string | null;
  account_id: string;
  status: RecommendationRow["status"];
  channel: string | null;
  message_ts: string | null;
  expires_at: Date | string;
  snoozed_until: Date | string | null;
  created_at: Date | string;
  resolved_at: Date | string | null;
  resolved_by: string | null;
  posted_saving_per_month: number | null;
  account_name: string | null;
  decision: Record<string, unknown> | string;
  approvals: Array<{ userId: string; verdict: ApprovalRecord["verdict"]; at: string }> | string;
}

const ms = (d: Date | string): number => new Date(d).getTime();
const msOrNull = (d: Date | string | null | undefined): number | null => (d == null ? null : ms(d));
const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

/** The decision table's row as row_to_json gives it (snake_case, timestamps as text). */
function decisionRowOf(j: Record<string, unknown>): DecisionRow {
  const num = (k: string) => (j[k] == null ? null : Number(j[k]));
  const str = (k: string) => (j[k] == null ? null : String(j[k]));
  return {
    id: String(j.id),
    tickAt: new Date(String(j.tick_at)),
    instanceId: String(j.instance_id),
    managedId: str("managed_id"),
    accountId: String(j.account_id),
    action: String(j.action),
    fromPool: String(j.from_pool),
    toPool: str("to_pool"),
    savingPerHour: Number(j.saving_per_hour),
    savingPerMonth: Number(j.saving_per_month),
    priceSavingPerHour: num("price_saving_per_hour"),
    priceSavingPerMonth: num("price_saving_per_month"),
    riskFrom: Number(j.risk_from),
    riskTo: num("risk_to"),
    riskFromSource: str("risk_from_source"),
    riskToSource: str("risk_to_source"),
    launchFailureTo: num("launch_failure_to"),
    modelId: str("model_id"),
    modelName: str("model_name"),
    confidence: num("confidence"),
    fallback: Boolean(j.fallback),
    strategy: String(j.strategy),
    reasons: json(j.reasons as string[] | string),
    alternatives: json(j.alternatives as string[] | string),
    mode: String(j.mode),
    createdAt: new Date(String(j.created_at)),
  };
}

function toRecord(r: Raw): RecommendationRecord {
  const d = decisionRowOf(json(r.decision));
  const decision = decisionFromRow(d);
  return {
    id: r.id,
    decisionId: r.decision_id,
    instanceId: r.instance_id,
    managedId: r.managed_id ?? r.instance_id,
    accountId: r.account_id,
    accountName: r.account_name ?? r.account_id,
    region: decision.from.region,
    mode: (d.mode === "approve" ? "approve" : "shadow") satisfies Mode,
    status: r.status,
    decision,
    channel: r.channel ?? null,
    messageTs: r.message_ts ?? null,
    expiresAt: ms(r.expires_at),
    snoozedUntil: msOrNull(r.snoozed_until),
    createdAt: ms(r.created_at),
    resolvedAt: msOrNull(r.resolved_at),
    resolvedBy: r.resolved_by ?? null,
    postedSavingPerMonth: r.posted_saving_per_month ?? null,
    approvals: json(r.approvals).map((a): ApprovalRecord => ({ userId: a.userId, verdict: a.verdict, at: ms(a.at) })),
  };
}

/**
 * Recommendations matching `where` (SQL over `r`, the recommendation table, with `?` placeholders), in `order`,
 * at most `limit`. A recommendation whose decision row is gone is skipped.
 */
export async function readRecommendations(
  conn: Conn,
  where: string,
  params: unknown[],
  order: string,
  limit: number,
): Promise<RecommendationRecord[]> {
  const rows = await conn.execute<Raw[]>(`${SELECT} where ${where} order by ${order} limit ?`, [...params, limit]);
  return rows.map(toRecord);
}

interface StandingRaw {
  id: string;
  decision_id: string;
  instance_id: string;
  managed_id: string | null;
  mode: string;
  channel: string | null;
  message_ts: string | null;
  /** Epoch milliseconds. */
  expires_at: number | string;
  posted_saving_per_month: number | string | null;
  to_pool: string | null;
  saving_per_month: number | string;
  not_carried: string | null;
}

/**
 * Every pending recommendation as StandingAdvice, in list()'s order (newest first, then instance): the columns
 * the decide tick weighs new advice against, and of the decision's reasons only the first that starts with
 * `notCarriedPrefix`. At fleet scale the tick reads thousands each time; reading them whole (verdicts, account,
 * the decision as JSON) was the longest step of its reads.
 */
export async function readStanding(conn: Conn, notCarriedPrefix: string): Promise<StandingAdvice[]> {
  const rows = await conn.execute<StandingRaw[]>(
    `select r.id, r.decision_id, r.instance_id, r.managed_id, d.mode, r.channel, r.message_ts,
        floor(extract(epoch from r.expires_at) * 1000)::float8 as expires_at,
        r.posted_saving_per_month, d.to_pool, d.saving_per_month,
        (select t.x from jsonb_array_elements_text(d.reasons) with ordinality as t(x, n)
          where starts_with(t.x, ?) order by t.n limit 1) as not_carried
      from recommendation r
      join decision d on d.id = r.decision_id
      where r.status = 'pending'
      order by r.created_at desc, r.instance_id, r.id`,
    [notCarriedPrefix],
  );
  return rows.map(
    (r): StandingAdvice => ({
      id: r.id,
      decisionId: r.decision_id,
      managedId: r.managed_id ?? r.instance_id,
      mode: r.mode === "approve" ? "approve" : "shadow",
      channel: r.channel ?? null,
      messageTs: r.message_ts ?? null,
      expiresAt: Number(r.expires_at),
      postedSavingPerMonth: r.posted_saving_per_month == null ? null : Number(r.posted_saving_per_month),
      decision: { to: r.to_pool ? parsePoolId(r.to_pool) : null, savingPerMonth: Number(r.saving_per_month) },
      notCarried: r.not_carried ?? null,
    }),
  );
}

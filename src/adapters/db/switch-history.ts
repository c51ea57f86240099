/** The last switches, newest first, for App Home (read-only over the switch saga's table). */
import type { SwitchSummary } from "../../bot/services.js";
import { parsePoolId } from "../../core/types.js";
import { SwitchExecutionEntity } from "./entities-ops.js";
import type { Database } from "./orm.js";
import { poolOf } from "./pool-json.js";

export async function recentSwitches(db: Database, limit: number): Promise<SwitchSummary[]> {
  const rows = await db
    .em()
    .find(SwitchExecutionEntity, {}, { orderBy: { startedAt: "desc", id: "asc" }, limit: Math.max(1, limit) });
  return rows.map((r) => {
    const target = poolOf(r.targets[r.targetIndex] ?? r.targets[0]);
    return {
      id: r.id,
      instanceId: r.instanceId,
      newInstanceId: r.newInstanceId ?? null,
      accountId: r.accountId,
      from: parsePoolId(r.fromPool),
      to: target,
      state: r.state,
      requestedBy: r.requestedBy,
      startedAt: r.startedAt.getTime(),
      finishedAt: r.finishedAt ? r.finishedAt.getTime() : null,
      error: r.error ?? null,
    };
  });
}

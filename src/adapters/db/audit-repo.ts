/**
 * The audit log in the audit_event table: every change anyone makes (approvals, switch steps, controls), in
 * order, append-only.
 */
import type { AuditEvent, AuditLog } from "../../core/ports/audit.js";
import { AuditEventEntity } from "./entities-ops.js";
import type { Database } from "./orm.js";

export class DbAuditLog implements AuditLog {
  constructor(private readonly db: Database) {}

  async record(event: AuditEvent): Promise<void> {
    // one insert: no unit of work to flush (change sets, and a transaction around the one statement)
    await this.db.em().insert(AuditEventEntity, {
      at: new Date(event.at),
      actor: event.actor,
      action: event.action,
      subject: event.subject ?? null,
      detail: event.detail ?? {},
    });
  }

  async list(
    filter: { subject?: string; action?: string; since?: number; limit?: number } = {},
  ): Promise<AuditEvent[]> {
    const where: Record<string, unknown> = {};
    if (filter.subject) where.subject = filter.subject;
    if (filter.action) where.action = filter.action;
    if (filter.since !== undefined) where.at = { $gte: new Date(filter.since) };
    const rows = await this.db
      .em()
      .find(AuditEventEntity, where, { orderBy: { id: "desc" }, limit: filter.limit ?? 1000 });
    return rows.reverse().map((r) => ({
      at: r.at.getTime(),
      actor: r.actor,
      action: r.action,
      subject: r.subject ?? undefined,
      detail: r.detail,
    }));
  }
}

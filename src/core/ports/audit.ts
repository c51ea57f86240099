/** The audit trail: every action a person or spotwise takes, with who, what, on what and the details. */
export interface AuditEvent {
  at: number;
  /** "slack:U123", "cli:alice", "daemon", "saga:<id>" */
  actor: string;
  /** Dotted verb: "switch.approved", "model.promoted", "control.paused", "slack.unauthorized_click" … */
  action: string;
  subject?: string;
  detail?: Record<string, unknown>;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  list(filter?: { subject?: string; action?: string; since?: number; limit?: number }): Promise<AuditEvent[]>;
}

/** In-memory audit log for tests and fakes. */
export class MemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  async record(event: AuditEvent): Promise<void> {
    this.events.push({ ...event });
  }
  async list(
    filter: { subject?: string; action?: string; since?: number; limit?: number } = {},
  ): Promise<AuditEvent[]> {
    return this.events
      .filter(
        (e) =>
          (!filter.subject || e.subject === filter.subject) &&
          (!filter.action || e.action === filter.action) &&
          (filter.since === undefined || e.at >= filter.since),
      )
      .slice(-(filter.limit ?? 1000));
  }
}

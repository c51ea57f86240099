/** A scheduled job: node-cron only triggers `tick`; tests call it directly with an injected time. */
export interface Job {
  readonly name: JobName;
  tick(now: number): Promise<Record<string, unknown>>;
}

export type JobName = "scrape" | "decide" | "label" | "digest" | "cleanup" | "reconcile";

export interface TickRecord {
  job: string;
  startedAt: number;
  finishedAt: number;
  status: "ok" | "failed";
  error: string | null;
  stats: Record<string, unknown>;
}

export interface TickLog {
  record(t: TickRecord): Promise<void>;
  last(job: string): Promise<TickRecord | null>;
}

export class MemoryTickLog implements TickLog {
  readonly records: TickRecord[] = [];
  async record(t: TickRecord): Promise<void> {
    this.records.push(t);
  }
  async last(job: string): Promise<TickRecord | null> {
    return [...this.records].reverse().find((r) => r.job === job) ?? null;
  }
}

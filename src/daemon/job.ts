/** A scheduled job: node-cron only triggers `tick`; tests call it directly with an injected time. */
export interface Job {
  readonly name: JobName;
  /**
   * One run. `signal` aborts when the process is shutting down (or this replica lost the job's run lease):
   * a job checks it at its safe points (between accounts, regions, instances) and stops there.
   */
  tick(now: number, signal?: AbortSignal): Promise<Record<string, unknown>>;
}

export type JobName = "scrape" | "decide" | "label" | "digest" | "cleanup" | "reconcile";

export type TickStatus = "running" | "ok" | "failed" | "cancelled";

export interface TickRecord {
  job: string;
  startedAt: number;
  /** null while the tick runs (or when the process died during it). */
  finishedAt: number | null;
  status: TickStatus;
  error: string | null;
  stats: Record<string, unknown>;
}

export interface TickLog {
  /** Records that a tick started, before it does anything: a process killed mid-tick leaves this trace. */
  start(job: string, startedAt: number): Promise<string>;
  /** Records how the tick started with `start` ended. */
  finish(id: string, t: TickRecord): Promise<void>;
  last(job: string): Promise<TickRecord | null>;
}

export class MemoryTickLog implements TickLog {
  readonly records: TickRecord[] = [];
  async start(job: string, startedAt: number): Promise<string> {
    this.records.push({ job, startedAt, finishedAt: null, status: "running", error: null, stats: {} });
    return String(this.records.length - 1);
  }
  async finish(id: string, t: TickRecord): Promise<void> {
    this.records[Number(id)] = { ...t };
  }
  async last(job: string): Promise<TickRecord | null> {
    return [...this.records].reverse().find((r) => r.job === job) ?? null;
  }
}

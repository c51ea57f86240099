/**
 * A switch's steps shown on its one recommendation message: the latest step wins, at most one update per
 * interval and at most `maxUpdates` in all (the last state is always written by the caller at the end).
 * Keeps a switch within a dozen Web API calls however many steps the saga reports.
 */
export interface ProgressCoalescerOptions {
  flush: (text: string) => Promise<void>;
  /** Shortest spacing of two updates (default 5 s). */
  intervalMs?: number;
  /** Most updates in all (default 6). */
  maxUpdates?: number;
  now?: () => number;
}

export class ProgressCoalescer {
  private latest: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastAt: number;
  private sent = 0;
  private inflight: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly intervalMs: number;
  private readonly maxUpdates: number;
  private readonly now: () => number;

  constructor(private readonly opts: ProgressCoalescerOptions) {
    this.intervalMs = opts.intervalMs ?? 5000;
    this.maxUpdates = opts.maxUpdates ?? 6;
    this.now = opts.now ?? Date.now;
    // the message was just updated ("switching…"): the first step waits a full interval
    this.lastAt = this.now();
  }

  /** Updates written so far. */
  get updates(): number {
    return this.sent;
  }

  push(text: string): void {
    if (this.closed) return;
    this.latest = text;
    if (this.timer || this.sent >= this.maxUpdates) return;
    const wait = Math.max(0, this.lastAt + this.intervalMs - this.now());
    this.timer = setTimeout(() => this.fire(), wait);
    this.timer.unref?.();
  }

  /** Stops (a pending step is dropped: the caller writes the final state) and waits for a write in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inflight;
  }

  private fire(): void {
    this.timer = undefined;
    const text = this.latest;
    this.latest = null;
    if (text === null || this.closed) return;
    this.sent++;
    this.lastAt = this.now();
    this.inflight = this.inflight.then(() => this.opts.flush(text)).catch(() => undefined);
  }
}

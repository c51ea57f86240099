/**
 * Work started after an ack: tracked so shutdown and tests can wait for it, and limited in concurrency so
 * that a burst of clicks cannot starve the event loop of the acks Slack is waiting for (3 s).
 */
import type { Logger } from "../adapters/log/logger.js";

export class TaskTracker {
  private readonly running = new Set<Promise<void>>();
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly log: Logger,
    /** How many post-ack jobs run at once; the rest wait their turn (FIFO). */
    private readonly concurrency = 2,
  ) {}

  run(name: string, fn: () => Promise<void>): void {
    void this.track(name, fn());
  }

  /** Tracks work already started; the returned promise never rejects (failures are logged). */
  track(name: string, work: Promise<void>): Promise<void> {
    const p = work
      .catch((e) => this.log.error({ task: name, err: e }, "background task failed"))
      .finally(() => this.running.delete(p));
    this.running.add(p);
    return p;
  }

  /**
   * Runs `fn` once a slot is free, after yielding to pending I/O (so acks already waiting go out first).
   * Use for the heavy part of a handler, after `ack()`.
   */
  async limited<T>(fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  /** Resolves when every task started so far (and any they start) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  get size(): number {
    return this.running.size;
  }
}

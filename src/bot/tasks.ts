/**
 * Work started after an ack: tracked so shutdown and tests can wait for it, and limited in concurrency per
 * lane (one lane per user, one for downloads) so that a burst of clicks cannot starve the event loop of the
 * acks Slack is waiting for (3 s), and one slow job (a model download) never holds up other users' commands.
 */
import type { Logger } from "../adapters/log/logger.js";

export class TaskTracker {
  private readonly running = new Set<Promise<void>>();
  private readonly lanes = new Map<string, { active: number; queue: Array<() => void> }>();

  constructor(
    private readonly log: Logger,
    /** How many post-ack jobs of one lane run at once; the rest of that lane wait their turn (FIFO). */
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
   * Runs `fn` once a slot of `lane` is free, after yielding to pending I/O (so acks already waiting go out
   * first). Use for the heavy part of a handler, after `ack()`, with the user's lane (`user:U…`).
   */
  async limited<T>(fn: () => Promise<T>, lane = "default"): Promise<T> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    let l = this.lanes.get(lane);
    if (!l) {
      l = { active: 0, queue: [] };
      this.lanes.set(lane, l);
    }
    const slot = l;
    if (slot.active >= this.concurrency) await new Promise<void>((resolve) => slot.queue.push(resolve));
    slot.active++;
    try {
      return await fn();
    } finally {
      slot.active--;
      const next = slot.queue.shift();
      if (next) next();
      else if (slot.active === 0) this.lanes.delete(lane);
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

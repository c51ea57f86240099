/** Background work started after an ack (the switch saga): tracked so shutdown and tests can wait for it. */
import type { Logger } from "../adapters/log/logger.js";

export class TaskTracker {
  private readonly running = new Set<Promise<void>>();
  constructor(private readonly log: Logger) {}

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

  /** Resolves when every task started so far (and any they start) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  get size(): number {
    return this.running.size;
  }
}

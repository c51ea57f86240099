import type { EpochMs } from "../types.js";

/** Injected time (karpenter's clock.Clock): tests move it by hand. */
export interface Clock {
  now(): EpochMs;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock that only moves when told to; `sleep` advances it instantly. */
export class ManualClock implements Clock {
  constructor(private t: EpochMs = Date.UTC(2026, 0, 1)) {}
  now(): EpochMs {
    return this.t;
  }
  set(t: EpochMs): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
    await Promise.resolve();
  }
}

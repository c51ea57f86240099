/**
 * Every Slack Web API write goes through here: one FIFO lane per rate-limit tier (token bucket sized below
 * Slack's per-minute limit) and, for chat.postMessage, one lane per channel (Slack allows about one message
 * per second per channel; the next post waits a full interval after the previous one was answered).
 * A 429 is not an error here: its Retry-After pauses the lane and the call is sent again, so a burst is
 * slowed down, never dropped. Other errors reach the caller.
 * https://docs.slack.dev/apis/web-api/rate-limits
 */

export type TierName = "tier2" | "tier3" | "tier4" | "post";

/** Slack's published tiers (calls per minute per workspace). chat.postMessage is "special": per channel. */
const TIER_PER_MINUTE: Record<TierName, number> = { tier2: 20, tier3: 50, tier4: 100, post: 60 };

const METHOD_TIER: Record<string, TierName> = {
  "chat.postMessage": "post",
  "chat.update": "tier3",
  "chat.delete": "tier3",
  "chat.postEphemeral": "tier4",
  "views.open": "tier4",
  "views.update": "tier4",
  "views.publish": "tier4",
  "files.uploadV2": "tier2",
  "reactions.add": "tier3",
};

export function tierOf(method: string): TierName {
  return METHOD_TIER[method] ?? "tier3";
}

export interface WriteQueueOptions {
  /** Spacing of two posts to one channel, measured from the answer to the previous one (default 1000 ms). */
  channelIntervalMs?: number;
  /** Calls per minute per tier (defaults: Slack's tiers). */
  perMinute?: Partial<Record<TierName, number>>;
  /** Calls a tier may make at once before the refill rate applies (default 5). */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every 429 (for logs and metrics). */
  onRateLimited?: (method: string, retryAfterMs: number) => void;
}

/** A FIFO gate with a next-allowed time: callers line up, each waits until its turn. */
class Lane {
  private tail: Promise<void> = Promise.resolve();
  /** Earliest time the next call may start. */
  nextAt = 0;
  blockedUntil = 0;

  /** Runs `fn` with the lane held (callers are served in arrival order). */
  hold<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/** Token bucket over a lane: `burst` calls at once, then `perMinute - burst` per minute (so any 60 s window stays under the limit). */
class Bucket {
  readonly lane = new Lane();
  private tokens: number;
  private at: number;
  private readonly burst: number;
  private readonly ratePerMs: number;

  constructor(burst: number, perMinute: number, now: number) {
    this.burst = Math.min(burst, Math.max(1, perMinute - 1));
    this.tokens = this.burst;
    this.ratePerMs = Math.max(1, perMinute - this.burst) / 60_000;
    this.at = now;
  }

  /** Milliseconds to wait before a token is there (0 = take it now). */
  take(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) * this.ratePerMs);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) / this.ratePerMs);
  }
}

export class SlackWriteQueue {
  private readonly tiers = new Map<TierName, Bucket>();
  private readonly channels = new Map<string, Lane>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly channelIntervalMs: number;
  private waiting = 0;
  /** Calls sent (including resends after a 429), by method. */
  readonly sent = new Map<string, number>();
  rateLimited = 0;

  constructor(private readonly opts: WriteQueueOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.channelIntervalMs = opts.channelIntervalMs ?? 1000;
  }

  /** Calls waiting for their turn. */
  get pending(): number {
    return this.waiting;
  }

  /**
   * Sends `fn` (one Web API call of `method`) when its tier and channel allow, resending after each 429.
   * `channel` orders and spaces posts to the same channel.
   */
  async run<T>(method: string, channel: string | undefined, fn: () => Promise<T>): Promise<T> {
    this.waiting++;
    try {
      const tier = tierOf(method);
      if (tier === "post" && channel) {
        const lane = this.channelLane(channel);
        return await lane.hold(async () => {
          await this.until(Math.max(lane.nextAt, lane.blockedUntil));
          try {
            return await this.send(method, tier, fn, lane);
          } finally {
            lane.nextAt = this.now() + this.channelIntervalMs;
          }
        });
      }
      return await this.send(method, tier, fn);
    } finally {
      this.waiting--;
    }
  }

  private async send<T>(method: string, tier: TierName, fn: () => Promise<T>, channelLane?: Lane): Promise<T> {
    const bucket = this.bucket(tier);
    for (;;) {
      await bucket.lane.hold(async () => {
        await this.until(bucket.lane.blockedUntil);
        for (let wait = bucket.take(this.now()); wait > 0; wait = bucket.take(this.now())) await this.sleep(wait);
      });
      this.sent.set(method, (this.sent.get(method) ?? 0) + 1);
      try {
        return await fn();
      } catch (e) {
        const retryAfterMs = retryAfterOf(e);
        if (retryAfterMs === null) throw e;
        this.rateLimited++;
        this.opts.onRateLimited?.(method, retryAfterMs);
        const until = this.now() + retryAfterMs;
        bucket.lane.blockedUntil = Math.max(bucket.lane.blockedUntil, until);
        if (channelLane) {
          channelLane.blockedUntil = Math.max(channelLane.blockedUntil, until);
          await this.until(channelLane.blockedUntil);
        }
      }
    }
  }

  private async until(at: number): Promise<void> {
    const ms = at - this.now();
    if (ms > 0) await this.sleep(ms);
  }

  private bucket(tier: TierName): Bucket {
    let b = this.tiers.get(tier);
    if (!b) {
      const perMinute = this.opts.perMinute?.[tier] ?? TIER_PER_MINUTE[tier];
      b = new Bucket(this.opts.burst ?? 5, perMinute, this.now());
      this.tiers.set(tier, b);
    }
    return b;
  }

  private channelLane(channel: string): Lane {
    let l = this.channels.get(channel);
    if (!l) {
      l = new Lane();
      this.channels.set(channel, l);
    }
    return l;
  }
}

/**
 * The Retry-After of a rate-limited call in ms, or null for any other error. Covers the WebClient's
 * WebAPIRateLimitedError (rejectRateLimitedCalls) and its plain "A rate limit was exceeded … retry-after: N".
 */
export function retryAfterOf(e: unknown): number | null {
  const err = e as { code?: string; retryAfter?: unknown; message?: string; cause?: unknown };
  if (err?.code === "slack_webapi_rate_limited_error" && typeof err.retryAfter === "number") {
    return Math.max(1, err.retryAfter) * 1000;
  }
  const m = /rate limit was exceeded.*retry-after: (\d+)/i.exec(err?.message ?? "");
  if (m) return Math.max(1, Number(m[1])) * 1000;
  if (err?.cause && err.cause !== e) return retryAfterOf(err.cause);
  return null;
}

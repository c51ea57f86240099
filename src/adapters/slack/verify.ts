/**
 * Slack request verification (v0 signatures): HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the signing
 * secret, compared in constant time; timestamps more than 5 minutes in the past OR the future refused
 * (Bolt only checks the past); a signature already seen inside that window refused as a replay.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IdempotencyStore } from "../../core/ports/kv.js";

export const MAX_SKEW_SECONDS = 300;

export type VerifyFailure = "missing_headers" | "bad_timestamp" | "stale" | "future" | "bad_signature" | "replayed";
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

export function signSlackRequest(
  signingSecret: string,
  timestampSec: number | string,
  rawBody: string | Buffer,
): string {
  const hmac = createHmac("sha256", signingSecret);
  hmac.update(`v0:${timestampSec}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest("hex")}`;
}

/** Stateless part: signature and clock window. */
export function verifySlackSignature(input: {
  signingSecret: string;
  rawBody: string | Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs: number;
  maxSkewSec?: number;
}): VerifyResult {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: "missing_headers" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  const skew = Number(timestamp) - Math.floor(input.nowMs / 1000);
  const max = input.maxSkewSec ?? MAX_SKEW_SECONDS;
  if (skew < -max) return { ok: false, reason: "stale" };
  if (skew > max) return { ok: false, reason: "future" };
  const expected = Buffer.from(signSlackRequest(input.signingSecret, timestamp, input.rawBody), "utf8");
  const given = Buffer.from(signature, "utf8");
  // timingSafeEqual needs equal lengths; compare against ourselves to spend the same time, then fail.
  const same =
    given.length === expected.length ? timingSafeEqual(given, expected) : !timingSafeEqual(expected, expected);
  return same ? { ok: true } : { ok: false, reason: "bad_signature" };
}

export interface SlackRequestVerifierOptions {
  signingSecret: string;
  /** Remembers signatures for the replay check (Redis across replicas, in-process otherwise). */
  seen: IdempotencyStore;
  now?: () => number;
  maxSkewSec?: number;
}

export class SlackRequestVerifier {
  private readonly now: () => number;
  private readonly maxSkewSec: number;

  constructor(private readonly opts: SlackRequestVerifierOptions) {
    this.now = opts.now ?? Date.now;
    this.maxSkewSec = opts.maxSkewSec ?? MAX_SKEW_SECONDS;
  }

  async verify(headers: { timestamp?: string; signature?: string }, rawBody: string | Buffer): Promise<VerifyResult> {
    const r = verifySlackSignature({
      signingSecret: this.opts.signingSecret,
      rawBody,
      timestamp: headers.timestamp,
      signature: headers.signature,
      nowMs: this.now(),
      maxSkewSec: this.maxSkewSec,
    });
    if (!r.ok) return r;
    // A valid signature is only good once: past the window the timestamp check refuses it anyway.
    const claim = await this.opts.seen.claim(`slack:sig:${headers.signature}`, (2 * this.maxSkewSec + 60) * 1000);
    return claim.claimed ? { ok: true } : { ok: false, reason: "replayed" };
  }
}

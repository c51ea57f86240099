import { describe, expect, it } from "vitest";
import { MemoryIdempotencyStore } from "../kv/memory.js";
import { SlackRequestVerifier, signSlackRequest, verifySlackSignature } from "./verify.js";

const secret = "8f742231b10e8888abcd99yyyzzz85a5";
const body = "token=x&command=%2Fspot&text=help";
const now = 1_764_331_200_000;
const ts = String(now / 1000);

describe("verifySlackSignature", () => {
  it("accepts Slack's documented example signature", () => {
    // The example from Slack's "Verifying requests from Slack" guide.
    const exampleBody =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const r = verifySlackSignature({
      signingSecret: secret,
      rawBody: exampleBody,
      timestamp: "1531420618",
      signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
      nowMs: 1531420618_000,
    });
    expect(r).toEqual({ ok: true });
  });

  it.each([
    ["valid", ts, signSlackRequest(secret, ts, body), { ok: true }],
    ["missing signature", ts, undefined, { ok: false, reason: "missing_headers" }],
    ["wrong secret", ts, signSlackRequest("other-secret", ts, body), { ok: false, reason: "bad_signature" }],
    [
      "truncated signature",
      ts,
      signSlackRequest(secret, ts, body).slice(0, 20),
      { ok: false, reason: "bad_signature" },
    ],
    ["non-numeric timestamp", "12a", "v0=00", { ok: false, reason: "bad_timestamp" }],
    [
      "6 minutes old",
      String(now / 1000 - 360),
      signSlackRequest(secret, now / 1000 - 360, body),
      { ok: false, reason: "stale" },
    ],
    [
      "6 minutes ahead",
      String(now / 1000 + 360),
      signSlackRequest(secret, now / 1000 + 360, body),
      { ok: false, reason: "future" },
    ],
    ["4 minutes ahead", String(now / 1000 + 240), signSlackRequest(secret, now / 1000 + 240, body), { ok: true }],
  ])("%s", (_name, timestamp, signature, expected) => {
    expect(verifySlackSignature({ signingSecret: secret, rawBody: body, timestamp, signature, nowMs: now })).toEqual(
      expected,
    );
  });

  it("detects a tampered body", () => {
    const signature = signSlackRequest(secret, ts, body);
    expect(
      verifySlackSignature({ signingSecret: secret, rawBody: `${body}x`, timestamp: ts, signature, nowMs: now }),
    ).toEqual({ ok: false, reason: "bad_signature" });
  });
});

describe("SlackRequestVerifier", () => {
  it("refuses the same signed request the second time", async () => {
    const v = new SlackRequestVerifier({
      signingSecret: secret,
      seen: new MemoryIdempotencyStore(() => now),
      now: () => now,
    });
    const headers = { timestamp: ts, signature: signSlackRequest(secret, ts, body) };
    expect(await v.verify(headers, body)).toEqual({ ok: true });
    expect(await v.verify(headers, body)).toEqual({ ok: false, reason: "replayed" });
  });

  it("does not burn the replay slot for a request with a bad signature", async () => {
    const v = new SlackRequestVerifier({
      signingSecret: secret,
      seen: new MemoryIdempotencyStore(() => now),
      now: () => now,
    });
    const sig = signSlackRequest(secret, ts, body);
    expect(await v.verify({ timestamp: ts, signature: sig }, `${body}&evil=1`)).toMatchObject({ ok: false });
    expect(await v.verify({ timestamp: ts, signature: sig }, body)).toEqual({ ok: true });
  });
});

/**
 * A local stand-in for Slack's Web API (WebClient slackApiUrl points here) that records every call,
 * plus response_url endpoints, file uploads (files.uploadV2's upload_url) and private file downloads.
 * For tests and the benchmark only.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";
import { SlackWriteQueue } from "../../src/adapters/slack/write-queue.js";

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  token?: string;
  /** Answered 429. */
  rateLimited?: boolean;
}

export interface FakeSlackLimits {
  /** Minimum spacing of chat.postMessage calls to one channel (Slack: about 1 s); 0 turns it off. */
  channelPostIntervalMs: number;
  /** Calls per minute per method over a sliding 60 s window (Slack's tiers); absent methods are unlimited. */
  perMinute: Record<string, number>;
  /** Seconds sent in Retry-After with a 429. */
  retryAfterSec: number;
}

/** Slack's limits as documented: one post per second per channel, tier 3 chat.update, tier 4 ephemeral. */
export const SLACK_LIMITS: FakeSlackLimits = {
  channelPostIntervalMs: 1000,
  perMinute: { "chat.update": 50, "chat.postEphemeral": 100, "views.open": 100 },
  retryAfterSec: 1,
};

/** Fast limits for suites that test something else: the same mechanism (429 + Retry-After), 50 ms per channel. */
export const FAST_LIMITS: Partial<FakeSlackLimits> = { channelPostIntervalMs: 50, perMinute: {} };

/** A write queue paced for these limits (Slack's tiers when the fake enforces them, unthrottled tiers otherwise). */
export function writeQueueFor(limits: FakeSlackLimits): SlackWriteQueue {
  const tierLimit = (method: string) => limits.perMinute[method] ?? 1_000_000;
  return new SlackWriteQueue({
    channelIntervalMs: limits.channelPostIntervalMs,
    perMinute: {
      tier3: tierLimit("chat.update"),
      tier4: Math.min(tierLimit("chat.postEphemeral"), tierLimit("views.open")),
      post: 1_000_000,
      tier2: 1_000_000,
    },
  });
}

export class FakeSlack {
  readonly calls: ApiCall[] = [];
  /** Calls answered 429 (they are also in `calls`, with `rateLimited: true`). */
  readonly rateLimited: ApiCall[] = [];
  readonly limits: FakeSlackLimits;
  private readonly lastPost = new Map<string, number>();
  private readonly window = new Map<string, number[]>();
  /** Bodies POSTed to response_url paths, by path. */
  readonly responses: Array<{ path: string; body: Record<string, unknown> }> = [];
  /** Bytes uploaded to upload URLs. */
  readonly uploads: Array<{ fileId: string; bytes: Buffer }> = [];
  /** Private files served at /files/<name> to requests with the right bearer token. */
  readonly files = new Map<string, Buffer>();
  /** Members returned by usergroups.users.list, by group id. */
  readonly groups = new Map<string, string[]>();
  /** Methods that answer { ok: false, error }. */
  readonly failures = new Map<string, string>();
  fileToken = "xoxb-test";
  /** What apps.connections.open answers (Socket Mode). */
  socketUrl = "";
  private server?: Server;
  private seq = 0;
  private waiters: Array<() => void> = [];

  /**
   * `new FakeSlack(SLACK_LIMITS)` enforces Slack's rate limits (429 + Retry-After); FAST_LIMITS the same
   * mechanism at 50 ms per channel; without limits nothing is enforced.
   */
  constructor(limits: Partial<FakeSlackLimits> = { channelPostIntervalMs: 0, perMinute: {} }) {
    this.limits = { ...SLACK_LIMITS, ...limits };
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req)
        .then(({ status, body, type, headers }) => {
          res.writeHead(status, { "content-type": type ?? "application/json", ...headers });
          res.end(body);
        })
        .catch((e) => {
          res.writeHead(500);
          res.end(String(e));
        });
    });
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  }

  get base(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error("FakeSlack not started");
    return `http://127.0.0.1:${addr.port}`;
  }

  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  /** The calls of `method` Slack accepted (not those answered 429). */
  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method && !c.rateLimited);
  }

  reset(): void {
    this.calls.length = 0;
    this.rateLimited.length = 0;
    this.responses.length = 0;
    this.uploads.length = 0;
  }

  /** Resolves once `predicate` holds (checked on every recorded call/response). */
  async waitFor(predicate: () => boolean, what = "condition"): Promise<void> {
    for (let i = 0; i < 2000 && !predicate(); i++) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 10);
      });
    }
    if (!predicate()) throw new Error(`FakeSlack: timed out waiting for ${what}`);
  }

  /** Records the call against the limits; true when Slack would answer 429. */
  private overLimit(method: string, params: Record<string, unknown>): boolean {
    const now = Date.now();
    if (method === "chat.postMessage" && this.limits.channelPostIntervalMs > 0) {
      const channel = String(params.channel);
      const last = this.lastPost.get(channel);
      if (last !== undefined && now - last < this.limits.channelPostIntervalMs) return true;
      this.lastPost.set(channel, now);
    }
    const limit = this.limits.perMinute[method];
    if (limit !== undefined) {
      const times = (this.window.get(method) ?? []).filter((t) => now - t < 60_000);
      if (times.length >= limit) {
        this.window.set(method, times);
        return true;
      }
      times.push(now);
      this.window.set(method, times);
    }
    return false;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async handle(
    req: IncomingMessage,
  ): Promise<{ status: number; body: string; type?: string; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? "/", this.base);
    const raw = await readAll(req);
    if (url.pathname.startsWith("/files/")) {
      const name = decodeURIComponent(url.pathname.slice("/files/".length));
      if (req.headers.authorization !== `Bearer ${this.fileToken}`) {
        return { status: 200, body: "<html>login</html>", type: "text/html" };
      }
      const file = this.files.get(name);
      return file
        ? { status: 200, body: file.toString("latin1"), type: "application/octet-stream" }
        : { status: 404, body: "no such file", type: "text/plain" };
    }
    if (url.pathname.startsWith("/upload/")) {
      this.uploads.push({ fileId: url.pathname.slice("/upload/".length), bytes: await uploadedBytes(req, raw) });
      this.notify();
      return { status: 200, body: "OK - uploaded", type: "text/plain" };
    }
    if (url.pathname.startsWith("/response/")) {
      this.responses.push({ path: url.pathname, body: JSON.parse(raw.toString("utf8")) });
      this.notify();
      return { status: 200, body: "ok", type: "text/plain" };
    }
    const method = url.pathname.replace(/^\/api\//, "");
    const params = parseParams(req, raw);
    const auth = req.headers.authorization;
    const call: ApiCall = { method, params, token: auth?.replace(/^Bearer /, "") };
    this.calls.push(call);
    this.notify();
    if (this.overLimit(method, params)) {
      call.rateLimited = true;
      this.rateLimited.push(call);
      return {
        status: 429,
        body: JSON.stringify({ ok: false, error: "ratelimited" }),
        headers: { "retry-after": String(this.limits.retryAfterSec) },
      };
    }
    const failure = this.failures.get(method);
    if (failure) return json({ ok: false, error: failure });
    return json(this.answer(method, params));
  }

  private answer(method: string, p: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return { ok: true, user_id: "UBOT", bot_id: "BBOT", team_id: "T1", user: "spotwise" };
      case "chat.postMessage":
        return { ok: true, channel: p.channel, ts: `1764000000.${String(++this.seq).padStart(6, "0")}` };
      case "chat.update":
        return { ok: true, channel: p.channel, ts: p.ts };
      case "chat.postEphemeral":
        return { ok: true, message_ts: `1764000001.${String(++this.seq).padStart(6, "0")}` };
      case "apps.connections.open":
        return this.socketUrl ? { ok: true, url: this.socketUrl } : { ok: false, error: "invalid_auth" };
      case "usergroups.users.list":
        return { ok: true, users: this.groups.get(String(p.usergroup)) ?? [] };
      case "files.getUploadURLExternal": {
        const id = `F${++this.seq}`;
        return { ok: true, upload_url: `${this.base}/upload/${id}`, file_id: id };
      }
      case "files.completeUploadExternal":
        return { ok: true, files: JSON.parse(String(p.files ?? "[]")) };
      default:
        return { ok: true };
    }
  }
}

function json(v: unknown) {
  return { status: 200, body: JSON.stringify(v) };
}

function parseParams(req: IncomingMessage, raw: Buffer): Record<string, unknown> {
  const type = req.headers["content-type"] ?? "";
  const text = raw.toString("utf8");
  if (type.includes("application/json")) return text ? JSON.parse(text) : {};
  const q = parseQuery(text) as Record<string, unknown>;
  // WebClient form-encodes nested values (blocks, files) as JSON strings.
  for (const k of ["blocks", "attachments"]) if (typeof q[k] === "string") q[k] = JSON.parse(q[k] as string);
  return q;
}

/** The WebClient posts the file as multipart/form-data (one file part); anything else is taken raw. */
async function uploadedBytes(req: IncomingMessage, raw: Buffer): Promise<Buffer> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data")) return raw;
  const form = await new Response(raw, { headers: { "content-type": type } }).formData();
  for (const value of form.values()) {
    if (typeof value !== "string") return Buffer.from(await value.arrayBuffer());
  }
  return raw;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

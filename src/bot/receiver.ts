/**
 * The HTTP front of the bot: buffers the raw body, verifies it with our own stricter check (signature,
 * 5-minute window in both directions, replays), then hands the request to Bolt's HTTPReceiver (whose own
 * check is off, as it would only repeat ours minus the future and replay checks).
 * GET /healthz answers 200 for load balancers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type App, HTTPReceiver, type Logger, type Receiver } from "@slack/bolt";
import type { SlackRequestVerifier } from "../adapters/slack/verify.js";

export interface VerifyingReceiverOptions {
  verifier: SlackRequestVerifier;
  port: number;
  /** Interface to listen on (default all). */
  host?: string;
  path?: string;
  logger: Logger;
  bodyLimitBytes?: number;
  /** Other routes served on the same port (the ops endpoints); returns true when it answered. */
  routes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export class VerifyingReceiver implements Receiver {
  private readonly inner: HTTPReceiver;
  private readonly path: string;
  private server?: Server;

  constructor(private readonly opts: VerifyingReceiverOptions) {
    this.path = opts.path ?? "/slack/events";
    this.inner = new HTTPReceiver({
      signingSecret: "verified-by-VerifyingReceiver",
      signatureVerification: false,
      endpoints: this.path,
      logger: opts.logger,
    });
  }

  init(app: App): void {
    this.inner.init(app);
  }

  /** Listens on `port` (default the configured one; 0 for any free port). */
  start(port: number = this.opts.port): Promise<Server> {
    if (this.server) return Promise.reject(new Error("receiver already started"));
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        this.opts.logger.error(`slack request failed: ${(e as Error).message}`);
        if (!res.headersSent) reply(res, 500, "internal error");
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, this.opts.host, () => resolve(server));
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeIdleConnections();
    });
  }

  /** The bound port after start(). */
  port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.opts.port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== this.path && this.opts.routes && (await this.opts.routes(req, res))) return;
    if (req.method === "GET" && url.pathname === "/healthz") return reply(res, 200, "ok");
    if (url.pathname !== this.path) return reply(res, 404, "not found");
    if (req.method !== "POST") return reply(res, 405, "POST only");
    const raw = await readBody(req, this.opts.bodyLimitBytes ?? 1024 * 1024);
    if (raw === null) return reply(res, 413, "body too large");
    if (isSslCheck(req, raw)) return reply(res, 200, ""); // Slack's certificate probe: nothing to run, unsigned
    const result = await this.opts.verifier.verify(
      { timestamp: header(req, "x-slack-request-timestamp"), signature: header(req, "x-slack-signature") },
      raw,
    );
    if (!result.ok) {
      this.opts.logger.warn(`refused Slack request: ${result.reason}`);
      return reply(res, 401, `request refused: ${result.reason}`);
    }
    // Bolt reuses an already-buffered body (its BufferedIncomingMessage contract).
    Object.assign(req, { rawBody: raw });
    this.inner.requestListener(req, res);
  }
}

function isSslCheck(req: IncomingMessage, raw: Buffer): boolean {
  if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) return false;
  const form = new URLSearchParams(raw.toString("utf8"));
  return form.get("ssl_check") === "1" && !form.has("command") && !form.has("payload");
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) return null;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

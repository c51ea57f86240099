/**
 * The ops endpoints: /healthz (liveness), /readyz (database and Redis reachable, migrations applied),
 * /metrics (Prometheus). Served on PORT by their own server, or mounted into the Bolt HTTP receiver's
 * server through `handle` so both share one port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Metrics } from "./metrics.js";

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export class OpsEndpoints {
  constructor(
    private readonly metrics: Metrics,
    private readonly checks: ReadinessCheck[],
    private readonly timeoutMs = 2_000,
  ) {}

  /** Handles the ops paths; returns false for any other path so a caller can route it elsewhere. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (path === "/healthz") {
      send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
      return true;
    }
    if (path === "/readyz") {
      const results = await Promise.all(this.checks.map((c) => this.run(c)));
      const ready = results.every((r) => r.ok);
      send(res, ready ? 200 : 503, "application/json", JSON.stringify({ ready, checks: results }));
      return true;
    }
    if (path === "/metrics") {
      send(res, 200, this.metrics.contentType, await this.metrics.text());
      return true;
    }
    return false;
  }

  private async run(c: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      return { name: c.name, ok: true };
    } catch (e) {
      return { name: c.name, ok: false, error: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** A standalone server for processes without the Bolt HTTP receiver. */
  listen(port: number, host = "0.0.0.0"): Promise<Server> {
    const server = createServer((req, res) => {
      this.handle(req, res)
        .then((handled) => {
          if (!handled) send(res, 404, "application/json", JSON.stringify({ error: "not found" }));
        })
        .catch((e: unknown) => send(res, 500, "application/json", JSON.stringify({ error: String(e) })));
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

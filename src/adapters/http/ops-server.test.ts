import type { AddressInfo, Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metrics } from "./metrics.js";
import { OpsEndpoints } from "./ops-server.js";

describe("ops endpoints over HTTP", () => {
  let server: Server;
  let base: string;
  let redisUp = true;
  const metrics = new Metrics();

  beforeAll(async () => {
    const ops = new OpsEndpoints(metrics, [
      { name: "database", check: async () => {} },
      {
        name: "redis",
        check: async () => {
          if (!redisUp) throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
        },
      },
    ]);
    server = await ops.listen(0, "127.0.0.1");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("answers liveness", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("is ready only when every dependency answers, and says which one failed", async () => {
    redisUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    redisUp = false;
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { ready: boolean; checks: Array<{ name: string; ok: boolean; error?: string }> };
    expect(body.ready).toBe(false);
    expect(body.checks.find((c) => c.name === "redis")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(body.checks.find((c) => c.name === "database")?.ok).toBe(true);
  });

  it("exports Prometheus metrics", async () => {
    metrics.ticks.inc({ job: "decide", outcome: "ok" });
    metrics.decisions.inc({ action: "SWITCH" }, 3);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toContain('spotwise_ticks_total{job="decide",outcome="ok"} 1');
    expect(text).toContain('spotwise_decisions_total{action="SWITCH"} 3');
    expect(text).toContain("# TYPE spotwise_circuit_breaker_open gauge");
  });

  it("404s other paths", async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

import { describe, expect, it } from "vitest";
import { HttpHealthChecker } from "./http-health.js";

describe("HttpHealthChecker", () => {
  const instance = { instanceId: "i-0abc", privateIp: "10.0.1.5" };

  it("fills the replacement's address into the URL; 2xx is healthy, anything else is not", async () => {
    const seen: string[] = [];
    const statuses = [200, 503];
    const fetchFn = (async (url: string) => {
      seen.push(url);
      return new Response("x", { status: statuses.shift() ?? 500 });
    }) as unknown as typeof fetch;
    const checker = new HttpHealthChecker(fetchFn);
    expect(await checker.check({ url: "http://{privateIp}:8080/healthz?id={instanceId}", instance })).toEqual({
      ok: true,
      detail: "http://10.0.1.5:8080/healthz?id=i-0abc: HTTP 200",
    });
    expect((await checker.check({ url: "http://{privateIp}/", instance })).ok).toBe(false);
    expect(seen).toEqual(["http://10.0.1.5:8080/healthz?id=i-0abc", "http://10.0.1.5/"]);
  });

  it("reports a connection failure as unhealthy with the reason", async () => {
    const fetchFn = (async () => {
      throw new Error("connect ECONNREFUSED");
    }) as unknown as typeof fetch;
    const r = await new HttpHealthChecker(fetchFn).check({ url: "http://{privateIp}/", instance });
    expect(r).toEqual({ ok: false, detail: "http://10.0.1.5/: connect ECONNREFUSED" });
  });
});

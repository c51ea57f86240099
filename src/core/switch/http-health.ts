/**
 * Application health check over HTTP: GET the URL (from switch.healthCheckUrl or the instance's tag
 * spotwise:health-url) with {privateIp} / {instanceId} replaced by the replacement's; 2xx is healthy.
 * `fetch` is injected (global fetch in production, a stub in tests).
 */
import type { HealthChecker } from "./types.js";

export class HttpHealthChecker implements HealthChecker {
  constructor(
    private readonly fetchFn: typeof fetch = fetch,
    private readonly timeoutMs = 5000,
  ) {}

  async check(input: { url: string; instance: { instanceId: string; privateIp?: string } }) {
    const url = input.url
      .replaceAll("{privateIp}", input.instance.privateIp ?? "")
      .replaceAll("{instanceId}", input.instance.instanceId);
    try {
      const res = await this.fetchFn(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      return { ok: res.status >= 200 && res.status < 300, detail: `${url}: HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, detail: `${url}: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
}

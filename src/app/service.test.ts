import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.js";
import { runCli } from "../cli/program.js";
import { loadConfig } from "../config/load.js";
import { startService } from "./service.js";

describe("spotwise start", () => {
  it("serves /healthz, /readyz and /metrics over HTTP and shuts down cleanly", async () => {
    const env = {
      SPOTWISE_DATA_DIR: mkdtempSync(join(tmpdir(), "spotwise-svc-")),
      PORT: "0",
      LOG_LEVEL: "silent" as const,
    };
    const service = await startService(loadConfig(env), { daemon: true, bot: true, env });
    try {
      const base = `http://127.0.0.1:${service.port()}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ ready: true });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain("# TYPE spotwise_switches_total counter");
      expect(metrics).toContain("process_cpu_seconds_total");
      const health = await service.container.infra.health.report();
      expect(health.find((h) => h.component === "database")?.status).toBe("ok");
      expect(health.find((h) => h.component === "slack")?.detail).toMatch(/console notifier/);
    } finally {
      await service.stop("test");
    }
  });

  it("spotwise bot without Slack settings says what to set", async () => {
    const io = memoryIo({ LOG_LEVEL: "silent" });
    expect(await runCli(["bot"], io)).toBe(2);
    expect(io.err.join("")).toMatch(/SLACK_BOT_TOKEN/);
  });

  it("decide --once without accounts says how to configure them", async () => {
    const io = memoryIo({ DATABASE_URL: "pglite://memory", LOG_LEVEL: "silent" });
    expect(await runCli(["decide", "--once"], io)).toBe(1);
    expect(io.err.join("")).toMatch(/no accounts configured/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { ControlService } from "../../core/control/service.js";
import { MemoryAuditLog } from "../../core/ports/audit.js";
import { ManualClock } from "../../core/ports/clock.js";
import { DbControlStore } from "./control-repo.js";
import type { Database } from "./orm.js";

let db: Database & { dispose(): Promise<void> };
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db.dispose();
});

describe(`control service on the database (${backendLabel()})`, () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const make = (budget = 3, defaultMode: "shadow" | "approve" = "approve") =>
    new ControlService(new DbControlStore(db), new MemoryAuditLog(), clock, {
      defaultMode,
      breakerThreshold: 2,
      breakerCooldownMs: 3600_000,
      dailyBudget: budget,
    });

  it("persists pause and mode across restarts and gates on them", async () => {
    const c = make();
    await c.setMode("shadow", "slack:U1");
    expect(await make().gate("111111111111")).toMatchObject({ ok: false, code: "shadow_mode" });
    await c.setMode("approve", "slack:U1");
    await c.pause("slack:U2", "incident 42");
    const restarted = make();
    expect(await restarted.mode()).toEqual({ mode: "approve", source: "override", setBy: "slack:U1" });
    const gate = await restarted.gate("111111111111");
    expect(gate).toMatchObject({ ok: false, code: "paused" });
    expect(gate.ok ? "" : gate.reason).toContain("incident 42");
    await restarted.resume("slack:U2");
    expect(await make().gate("111111111111")).toEqual({ ok: true });
    await c.setMode("shadow", "slack:U1");
    await c.setMode(null, "slack:U1");
    expect(await make().mode()).toEqual({ mode: "approve", source: "config" });
    // SPOTWISE_MODE=shadow is a ceiling: a stored approve override does not lift it, and Slack cannot set one
    await c.setMode("approve", "slack:U1");
    const ceiling = make(3, "shadow");
    expect(await ceiling.mode()).toEqual({ mode: "shadow", source: "config" });
    await expect(ceiling.setMode("approve", "slack:U1")).rejects.toThrow(/SPOTWISE_MODE=shadow, a ceiling/);
  });

  it("opens the breaker after N failures, half-opens after the cool-down, closes on success", async () => {
    const c = make();
    const acct = "222222222222";
    expect((await c.recordFailure(acct, "boom 1")).state).toBe("closed");
    expect((await c.recordFailure(acct, "boom 2")).state).toBe("open");
    expect(await make().gate(acct)).toMatchObject({ ok: false, code: "circuit_open" });
    clock.advance(3600_000);
    expect((await make().breaker(acct)).state).toBe("half-open");
    expect(await c.gate(acct)).toEqual({ ok: true });
    // a failure while half-open opens it again at once
    expect((await c.recordFailure(acct, "boom 3")).state).toBe("open");
    clock.advance(3600_000);
    await c.recordSuccess(acct);
    expect(await c.breaker(acct)).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    const status = await c.status();
    expect(status.breakers.find((b) => b.accountId === acct)?.state).toBe("closed");
    expect(status.mode).toBe("approve");
  });

  it("hands out the daily budget atomically under concurrency", async () => {
    const c = make(3);
    const results = await Promise.all(Array.from({ length: 8 }, () => c.consumeBudget("daemon")));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(await c.budget()).toMatchObject({ used: 3, limit: 3 });
    clock.advance(24 * 3600_000);
    expect((await c.consumeBudget("daemon")).ok).toBe(true);
  });
});

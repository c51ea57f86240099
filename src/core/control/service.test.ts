import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../ports/audit.js";
import { ManualClock } from "../ports/clock.js";
import { ControlService, controlStatus } from "./service.js";
import { MemoryControlStore } from "./store.js";

function make(budget = 2) {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 23, 0));
  const audit = new MemoryAuditLog();
  const c = new ControlService(new MemoryControlStore(), audit, clock, {
    defaultMode: "approve",
    breakerThreshold: 3,
    breakerCooldownMs: 30 * 60_000,
    dailyBudget: budget,
  });
  return { c, clock, audit };
}

describe("ControlService", () => {
  it("reports mode, pause, budget and breakers in one status, auditing every change", async () => {
    const { c, audit } = make();
    await c.setMode("shadow", "slack:U1");
    await c.pause("slack:U2", "maintenance");
    await c.recordFailure("111111111111", "image failed");
    await c.consumeBudget("daemon");
    const s = await controlStatus(c);
    expect(s).toMatchObject({
      mode: "shadow",
      modeSource: "override",
      modeSetBy: "slack:U1",
      pause: { paused: true, by: "slack:U2", reason: "maintenance" },
      budget: { day: "2026-11-28", used: 1, limit: 2 },
      breakers: [{ accountId: "111111111111", state: "closed", consecutiveFailures: 1, lastError: "image failed" }],
    });
    expect(audit.events.map((e) => e.action)).toEqual(["control.mode_set", "control.paused"]);
  });

  it("shadow mode wins over everything; the pause comes before the breaker", async () => {
    const { c } = make();
    for (let i = 0; i < 3; i++) await c.recordFailure("111111111111", "x");
    await c.pause("cli:ops");
    expect(await c.gate("111111111111")).toMatchObject({ code: "paused" });
    await c.resume("cli:ops");
    expect(await c.gate("111111111111")).toMatchObject({ code: "circuit_open" });
    expect(await c.gate("222222222222")).toEqual({ ok: true });
    await c.setMode("shadow", "slack:U1");
    expect(await c.gate("222222222222")).toMatchObject({ code: "shadow_mode" });
  });

  it("resets the budget at midnight UTC and the breaker by hand", async () => {
    const { c, clock, audit } = make(1);
    expect((await c.consumeBudget("daemon")).ok).toBe(true);
    expect(await c.consumeBudget("daemon")).toEqual({ ok: false, used: 1, limit: 1 });
    clock.advance(60 * 60_000);
    expect((await c.consumeBudget("daemon")).ok).toBe(true);
    for (let i = 0; i < 3; i++) await c.recordFailure("111111111111", "x");
    expect((await c.breaker("111111111111")).state).toBe("open");
    await c.resetBreaker("111111111111", "slack:U9");
    expect((await c.breaker("111111111111")).state).toBe("closed");
    expect(audit.events.at(-1)).toMatchObject({ actor: "slack:U9", action: "control.breaker_reset" });
  });
});

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

describe("ControlService: shadow ceiling, safety checklist, change events", () => {
  it("approve needs every checklist item; events carry who changed what; the breaker opening is an event", async () => {
    let green = false;
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
    const c = new ControlService(new MemoryControlStore(), new MemoryAuditLog(), clock, {
      defaultMode: "approve",
      breakerThreshold: 1,
      breakerCooldownMs: 60_000,
      dailyBudget: 1,
      checklist: async () => [
        { key: "budget", ok: true, text: "daily switch budget: 1" },
        { key: "shadow_period", ok: green, text: "shadow period: 2.0 of 7 days", fix: "keep shadow mode" },
      ],
    });
    const events: string[] = [];
    c.subscribe((e) => {
      events.push(`${e.kind}:${"actor" in e ? e.actor : e.accountId}`);
    });
    await c.setMode("shadow", "slack:U1");
    await expect(c.setMode("approve", "slack:U1")).rejects.toThrow(
      /missing:\n:x: shadow period: 2.0 of 7 days: keep shadow mode/,
    );
    expect((await c.mode()).mode).toBe("shadow");
    green = true;
    await c.setMode("approve", "slack:U1");
    await c.pause("slack:U2", "x");
    await c.resume("slack:U2");
    await c.recordFailure("111111111111", "boom");
    expect(events).toEqual([
      "mode:slack:U1",
      "mode:slack:U1",
      "paused:slack:U2",
      "resumed:slack:U2",
      "breaker_opened:111111111111",
    ]);
    expect(await c.canApprove("111111111111")).toMatchObject({ ok: false, code: "circuit_open" });
    await c.consumeBudget("daemon");
    expect(await c.canApprove("222222222222")).toMatchObject({ ok: false, code: "budget_exhausted" });
  });
});

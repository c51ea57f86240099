/**
 * A plan is asked once per instance and target and reused for an hour: an advice the saga refuses is not
 * re-planned (EC2 calls) at every 15-minute tick, and a refusal still turns the advice into a STAY each tick.
 */
import { describe, expect, it } from "vitest";
import { switchDecision } from "../../../test/core/recommendation-fixtures.js";
import { type AdvicePlan, PLAN_CONCURRENCY, PLAN_REUSE_MS, PlanMemo, planNewAdvice } from "./decide-plan.js";

const T0 = Date.UTC(2026, 10, 20, 12);
const log = { warn: () => {}, info: () => {} } as never;

describe("planNewAdvice with a plan memo", () => {
  it("plans each new advice once per instance and target within PLAN_REUSE_MS, refusals included", async () => {
    const asked: string[] = [];
    const planAdvice = async (x: { instanceId: string }): Promise<AdvicePlan> => {
      asked.push(x.instanceId);
      return x.instanceId === "i-refused"
        ? { ok: false, reason: "stop protection is on" }
        : { ok: true, notCarried: ["the primary private IP"] };
    };
    const plans = new PlanMemo();
    const tick = async (now: number) => {
      const decisions = [switchDecision("i-ok"), switchDecision("i-refused")];
      const refused = await planNewAdvice(decisions, new Map(), { planAdvice, log }, { plans, now });
      return { refused, decisions };
    };
    const first = await tick(T0);
    expect(first.refused).toBe(1);
    expect(first.decisions.map((d) => [d.action, d.strategy])).toEqual([
      ["SWITCH", switchDecision("i-ok").strategy],
      ["STAY", "not-switchable"],
    ]);
    expect(first.decisions[0].reasons.at(-1)).toBe("a switch does not carry over: the primary private IP");
    // 15 minutes later: the same answers, nothing asked
    const second = await tick(T0 + 15 * 60_000);
    expect(second.refused).toBe(1);
    expect(second.decisions[1].reasons[0]).toBe("not switchable now: stop protection is on");
    expect(second.decisions[0].reasons.at(-1)).toBe("a switch does not carry over: the primary private IP");
    expect(asked).toEqual(["i-ok", "i-refused"]);
    // an hour on: asked again
    await tick(T0 + PLAN_REUSE_MS);
    expect(asked).toEqual(["i-ok", "i-refused", "i-ok", "i-refused"]);
    // another target for the same instance is another plan
    const moved = switchDecision("i-ok", { to: { region: "us-east-1", az: "us-east-1f", instanceType: "m5a.large" } });
    await planNewAdvice([moved], new Map(), { planAdvice, log }, { plans, now: T0 + PLAN_REUSE_MS + 1 });
    expect(asked).toHaveLength(5);
  });

  it("asks the plans of a large fleet's new advice a few at a time and applies them in fleet order", async () => {
    let inFlight = 0;
    let most = 0;
    const planAdvice = async (x: { instanceId: string }): Promise<AdvicePlan> => {
      inFlight++;
      most = Math.max(most, inFlight);
      // later instances answer sooner: the answers come back out of order
      await new Promise((r) => setTimeout(r, 30 - Number(x.instanceId.slice(2)) / 2));
      inFlight--;
      return Number(x.instanceId.slice(2)) % 3 === 0
        ? { ok: false, reason: `refused ${x.instanceId}` }
        : { ok: true, notCarried: [`ip of ${x.instanceId}`] };
    };
    const decisions = Array.from({ length: 50 }, (_, n) => switchDecision(`i-${n}`));
    const refused = await planNewAdvice(decisions, new Map(), { planAdvice, log });
    expect(most).toBe(PLAN_CONCURRENCY);
    expect(refused).toBe(17);
    decisions.forEach((d, n) => {
      if (n % 3 === 0) expect([d.action, d.reasons[0]]).toEqual(["STAY", `not switchable now: refused i-${n}`]);
      else expect([d.action, d.reasons.at(-1)]).toEqual(["SWITCH", `a switch does not carry over: ip of i-${n}`]);
    });
  });
});

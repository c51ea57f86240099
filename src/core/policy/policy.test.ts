import { describe, expect, it } from "vitest";
import { HOUR, input, instance, NOW, pool, quote } from "../../../test/core/policy-testkit.js";
import { poolId } from "../types.js";
import { budgetOrder, decide, decideFromQuotes, revalidate } from "./policy.js";
import { fleetSwitchAllowance } from "./strategies.js";

const here = pool("us-east-1a", "m5.large");
const cheapB = quote(pool("us-east-1b", "m5.large"), 0.03);
const cheapC = quote(pool("us-east-1c", "m5a.large"), 0.032);

describe("payback (hysteresis)", () => {
  it("switches to the cheapest safe candidate when the saving pays the switch back with the margin", () => {
    const d = decide(input({ candidates: [quote(here, 0.04), cheapB, cheapC] }));
    expect(d.action).toBe("SWITCH");
    expect(d.strategy).toBe("payback");
    expect(d.to).toEqual(cheapB.pool);
    expect(d.savingPerHour).toBeCloseTo(0.01, 6);
    expect(d.savingPerMonth).toBeCloseTo(0.01 * 730, 3);
    expect(d.riskFrom).toBe(0.0001);
    expect(d.riskTo).toBe(0.0001);
    expect(d.modelName).toBe("champion");
    expect(d.confidence).toBe(0.9);
    expect(d.fallback).toBe(false);
    expect(d.alternatives).toEqual([cheapC.pool]);
    expect(d.reasons.join(" ")).toMatch(/pays back: saving over 336 h \$3\.36/);
  });

  it("stays when the saving over the horizon does not cover switch cost × margin", () => {
    // 0.01/h × 6 h = 0.06 < 0.048 × 1.5 = 0.072; 8 h: 0.08 >= 0.072
    const d = decide(input({ candidates: [cheapB], settings: { horizonHours: 6 } }));
    expect(d.action).toBe("STAY");
    expect(d.strategy).toBe("payback");
    expect(d.to).toBeNull();
    expect(d.reasons.join(" ")).toMatch(/does not pay back/);
    expect(decide(input({ candidates: [cheapB], settings: { horizonHours: 8 } })).action).toBe("SWITCH");
  });

  it("ranks on expected cost: a cheap but risky pool loses to a slightly dearer safe one", () => {
    const risky = quote(pool("us-east-1b", "m5.large"), 0.03, 0.008);
    const safe = quote(pool("us-east-1c", "m5.large"), 0.031, 0.0001);
    const d = decide(input({ candidates: [risky, safe], settings: { riskCeiling: 0.01 } }));
    expect(d.to).toEqual(safe.pool);
    expect(d.alternatives).toEqual([risky.pool]);
  });

  it("holds meanWeight of the gap to the recent mean against a move: dips of targets, spikes of the current pool", () => {
    // b is cheap right now (0.02) but its recent mean is 0.039: judged at 0.02 + 0.75 × 0.019 = 0.03425 > c's 0.032
    const dip = { ...quote(pool("us-east-1b", "m5.large"), 0.02), recentMean: 0.039 };
    const d = decide(input({ candidates: [dip, cheapC] }));
    expect(d.to).toEqual(cheapC.pool);
    // with meanWeight 0 only the price now counts
    expect(decide(input({ candidates: [dip, cheapC], settings: { meanWeight: 0 } })).to).toEqual(dip.pool);
    // the current pool spiked to 0.06 over a mean of 0.04: judged at 0.06 − 0.75 × 0.02 = 0.045
    const spike = decide(
      input({ current: { price: 0.06, recentMean: 0.04, risk: 0.0001, confidence: 0.9 }, candidates: [cheapC] }),
    );
    expect(spike.action).toBe("SWITCH");
    expect(spike.savingPerHour).toBeCloseTo(0.013, 6);
    const noMean = decide(input({ current: { price: 0.06, risk: 0.0001, confidence: 0.9 }, candidates: [cheapC] }));
    expect(noMean.savingPerHour).toBeCloseTo(0.028, 6);
    // a target whose mean is below its price, or a current pool whose mean is above, is judged at the price
    const rising = { ...cheapC, recentMean: 0.01 };
    expect(
      decide(input({ current: { price: 0.04, recentMean: 0.09, risk: 0.0001, confidence: 0.9 }, candidates: [rising] }))
        .savingPerHour,
    ).toBeCloseTo(0.008, 6);
  });

  it("judges the current pool towards the lower of its recent and slower means: a cheap week holds against a short spike", () => {
    const spiking = { price: 0.05, recentMean: 0.044, risk: 0.0001, confidence: 0.9 };
    // recent mean only: 0.05 − 0.75 × 0.006 = 0.0455 vs c at 0.032
    expect(decide(input({ current: spiking, candidates: [cheapC] })).savingPerHour).toBeCloseTo(0.0135, 6);
    // slower mean 0.036: 0.05 − 0.75 × 0.014 = 0.0395
    const slow = decide(input({ current: { ...spiking, slowMean: 0.036 }, candidates: [cheapC] }));
    expect(slow.savingPerHour).toBeCloseTo(0.0075, 6);
    // a slower mean above the recent one does not loosen the hold; targets ignore the slower mean
    expect(
      decide(input({ current: { ...spiking, slowMean: 0.06 }, candidates: [{ ...cheapC, slowMean: 0.09 }] }))
        .savingPerHour,
    ).toBeCloseTo(0.0135, 6);
    // the slower level can keep the instance in place: judged at 0.04 − 0.75 × 0.0075 ≈ 0.0344, the saving
    // (~$1.7/month) is below the $3/month minimum; on the recent mean alone (0.03925) it saves ~$5.3/month
    const current = { price: 0.04, recentMean: 0.039, risk: 0.0001, confidence: 0.9 };
    const held = decide(input({ current: { ...current, slowMean: 0.0325 }, candidates: [cheapC] }));
    expect([held.action, held.strategy]).toEqual(["STAY", "min-saving"]);
    expect(decide(input({ current, candidates: [cheapC] })).action).toBe("SWITCH");
  });
});

describe("guards", () => {
  it("min-saving: stays below the minimum % and $/month, moves above", () => {
    const small = quote(pool("us-east-1b", "m5.large"), 0.0395); // 1.25 %
    const pct = decide(input({ candidates: [small] }));
    expect([pct.action, pct.strategy]).toEqual(["STAY", "min-saving"]);
    expect(pct.reasons.join(" ")).toMatch(/below 2\.0%/);
    const month = decide(input({ candidates: [quote(pool("us-east-1b", "m5.large"), 0.035)] })); // 12.5 %, $3.65/month
    expect(month.action).toBe("SWITCH");
    const strict = decide(
      input({ candidates: [quote(pool("us-east-1b", "m5.large"), 0.035)], settings: { minSavingUsdMonth: 5 } }),
    );
    expect([strict.action, strict.strategy]).toEqual(["STAY", "min-saving"]);
    expect(strict.reasons.join(" ")).toMatch(/below \$5\/month/);
    expect(decide(input({ candidates: [cheapB] })).action).toBe("SWITCH");
  });

  it("cooldown: holds a move back until minHoursInPool have passed", () => {
    const d = decide(input({ candidates: [cheapB], history: { lastSwitchAt: NOW - 3 * HOUR, switchesPastWeek: 1 } }));
    expect([d.action, d.strategy]).toEqual(["STAY", "cooldown"]);
    expect(d.reasons.join(" ")).toMatch(/3\.0 h in pool, at least 24 h/);
    const later = decide(
      input({ candidates: [cheapB], history: { lastSwitchAt: NOW - 25 * HOUR, switchesPastWeek: 1 } }),
    );
    expect(later.action).toBe("SWITCH");
  });

  it("weekly cap: no more than maxSwitchesPerWeek", () => {
    const capped = decide(
      input({ candidates: [cheapB], history: { lastSwitchAt: NOW - 48 * HOUR, switchesPastWeek: 2 } }),
    );
    expect([capped.action, capped.strategy]).toEqual(["STAY", "weekly-cap"]);
    const ok = decide(input({ candidates: [cheapB], history: { lastSwitchAt: NOW - 48 * HOUR, switchesPastWeek: 1 } }));
    expect(ok.action).toBe("SWITCH");
  });

  it("fleet budget: at most the budget's share of the fleet switches at once", () => {
    expect(fleetSwitchAllowance(0.1, 10)).toBe(1);
    expect(fleetSwitchAllowance(0.1, 5)).toBe(1);
    expect(fleetSwitchAllowance(0.1, 255)).toBe(25);
    expect(fleetSwitchAllowance(0, 100)).toBe(0);
    const full = decide(input({ candidates: [cheapB], fleet: { switchingNow: 1, fleetSize: 10 } }));
    expect([full.action, full.strategy]).toEqual(["STAY", "fleet-budget"]);
    expect(full.reasons.join(" ")).toMatch(/1 of 10 instances switching, at most 1/);
    expect(decide(input({ candidates: [cheapB], fleet: { switchingNow: 1, fleetSize: 20 } })).action).toBe("SWITCH");
  });

  it("no-better-candidate: stays when nothing is cheaper or nothing has a price", () => {
    const dear = quote(pool("us-east-1b", "m5.large"), 0.05);
    const unpriced = quote(pool("us-east-1c", "m5.large"), Number.NaN);
    const d = decide(input({ candidates: [dear, unpriced] }));
    expect([d.action, d.strategy]).toEqual(["STAY", "no-better-candidate"]);
  });
});

describe("escapes on evidence and on-demand fallback", () => {
  const risky = { price: 0.02, risk: 0.6, confidence: 0.8 };
  const warning = "capacity loss observed in us-east-1/us-east-1a/m5.large (interruption warning)";

  it("escapes on evidence even into a dearer pool, in cooldown and at the weekly cap", () => {
    const dearSafe = quote(pool("us-east-1b", "m5.large"), 0.05);
    const d = decide(
      input({
        current: { price: 0.02, risk: 0.02, confidence: 0.8 },
        candidates: [dearSafe],
        history: { lastSwitchAt: NOW - HOUR, switchesPastWeek: 5 },
        evidence: warning,
      }),
    );
    expect([d.action, d.strategy]).toEqual(["SWITCH", "risk-ceiling"]);
    expect(d.to).toEqual(dearSafe.pool);
    expect(d.priceSavingPerHour).toBeCloseTo(-0.03, 8);
    expect(d.reasons[0]).toMatch(/evidence: capacity loss/);
  });

  it("never leaves early, nor for a dearer pool, on a risk figure alone (the post-launch jump)", () => {
    // old code: risk 0.6 above the 0.5 ceiling escaped in cooldown to a dearer pool
    const dearSafe = quote(pool("us-east-1b", "m5.large"), 0.05);
    const d = decide(
      input({
        current: risky,
        candidates: [dearSafe],
        history: { lastSwitchAt: NOW - 12 * HOUR, switchesPastWeek: 1 },
      }),
    );
    expect(d.action).toBe("STAY");
    const cheaper = decide(
      input({ current: risky, candidates: [cheapB], history: { lastSwitchAt: NOW - 12 * HOUR, switchesPastWeek: 1 } }),
    );
    expect([cheaper.action, cheaper.strategy]).toEqual(["STAY", "cooldown"]);
  });

  it("defers the escape when the fleet budget is used up", () => {
    const d = decide(
      input({ current: risky, candidates: [cheapB], fleet: { switchingNow: 3, fleetSize: 10 }, evidence: warning }),
    );
    expect([d.action, d.strategy]).toEqual(["STAY", "fleet-budget"]);
    expect(d.reasons.join(" ")).toMatch(/escape deferred/);
  });

  it("falls back to on-demand on evidence when every spot candidate is too risky", () => {
    const d = decide(
      input({ current: risky, candidates: [quote(pool("us-east-1b", "m5.large"), 0.03, 0.7)], evidence: warning }),
    );
    expect([d.action, d.strategy]).toEqual(["ONDEMAND", "ondemand-fallback"]);
    expect(d.to).toEqual(here);
    expect(d.riskTo).toBe(0);
    expect(d.riskToSource).toBe("on-demand");
    expect(d.priceSavingPerHour).toBeCloseTo(0.02 - 0.096, 8);
    // without evidence it stays
    expect(
      decide(input({ current: risky, candidates: [quote(pool("us-east-1b", "m5.large"), 0.03, 0.7)] })).action,
    ).toBe("STAY");
  });

  it("stays on-demand while every candidate is too risky, returns to spot when one is safe and pays back", () => {
    const od = instance({ lifecycle: "on-demand" });
    const stay = decide(input({ instance: od, current: null, candidates: [quote(here, 0.03, 0.7)] }));
    expect([stay.action, stay.strategy]).toEqual(["STAY", "ondemand-fallback"]);
    const back = decide(input({ instance: od, current: null, candidates: [quote(here, 0.03)] }));
    expect([back.action, back.strategy]).toEqual(["SWITCH", "payback"]);
    expect(back.to).toEqual(here);
    expect(back.savingPerHour).toBeCloseTo(0.096 - 0.03 - 0.0001 * 2 * 0.096, 8);
    expect(back.priceSavingPerHour).toBeCloseTo(0.096 - 0.03, 8);
  });
});

describe("candidates that are not: stale, absurd, vetoed", () => {
  it("a pool whose newest price record is older than maxPriceAgeHours is not a candidate", () => {
    const stale = { ...quote(pool("us-east-1b", "m5.large"), 0.02), priceTs: NOW - 6 * 24 * HOUR };
    const d = decide(input({ candidates: [stale] }));
    expect(d.action).toBe("STAY");
    expect(d.reasons.join(" ")).toMatch(/1 price older than 48 h/);
    const fresh = { ...stale, priceTs: NOW - 47 * HOUR };
    expect(decide(input({ candidates: [fresh] })).action).toBe("SWITCH");
    expect(decide(input({ candidates: [stale], settings: { maxPriceAgeHours: 24 * 7 } })).action).toBe("SWITCH");
  });

  it("a spot price at or above the on-demand price is not a candidate", () => {
    const od = instance({ lifecycle: "on-demand" });
    const d = decide(input({ instance: od, current: null, candidates: [quote(here, 0.096)] }));
    expect(d.action).toBe("STAY");
    expect(d.reasons.join(" ")).toMatch(/spot price at or above on-demand/);
  });

  it("vetoes a target whose model P(launch finds no capacity) is above maxLaunchFailure, and records it otherwise", () => {
    const doomed = { ...cheapB, launchFailure: 0.95 };
    expect(decide(input({ candidates: [doomed, cheapC] })).to).toEqual(cheapC.pool);
    const likely = decide(input({ candidates: [{ ...cheapB, launchFailure: 0.4 }, cheapC] }));
    expect(likely.to).toEqual(cheapB.pool);
    expect(likely.launchFailureTo).toBe(0.4);
  });
});

describe("honest figures", () => {
  it("splits the price saving from the risk-adjusted saving, caps expected cost at on-demand and saving at its cost", () => {
    // old code: current expected cost 0.04 + 0.7 × 2 × 0.096 = 0.174/h > on-demand, "saving" 0.144/h
    const d = decide(
      input({
        current: { price: 0.04, risk: 0.7, confidence: 0.3 },
        candidates: [cheapB],
        evidence: "capacity loss observed",
      }),
    );
    expect(d.action).toBe("SWITCH");
    expect(d.priceSavingPerHour).toBeCloseTo(0.01, 8);
    expect(d.priceSavingPerMonth).toBeCloseTo(7.3, 6);
    expect(d.savingPerHour).toBeLessThanOrEqual(0.096);
    expect(d.savingPerHour).toBeCloseTo(0.096 - (0.03 + 0.0001 * 2 * 0.096), 8);
    expect(d.savingPerMonth).toBeLessThanOrEqual(0.096 * 730);
    expect(d.riskFromSource).toBe("advisor");
    expect(d.riskToSource).toBe("advisor");
  });

  it("a plain move carries the price saving from the price series", () => {
    const d = decide(input({ candidates: [cheapB] }));
    expect(d.priceSavingPerHour).toBeCloseTo(0.01, 8);
    expect(d.managedId).toBe("i-0abc");
    expect(decide(input({ instance: instance({ managedId: "i-first" }), candidates: [cheapB] })).managedId).toBe(
      "i-first",
    );
  });
});

describe("determinism and inputs", () => {
  it("gives the same decision for the same inputs, whatever the candidates' order", () => {
    const tieA = quote(pool("us-east-1b", "m5.large"), 0.03);
    const tieB = quote(pool("us-east-1c", "m5.large"), 0.03);
    const a = decide(input({ candidates: [tieA, tieB, cheapC] }));
    const b = decide(input({ candidates: [cheapC, tieB, tieA] }));
    expect(b).toEqual(a);
    expect(a.to).toEqual(tieA.pool);
    expect(decide(input({ candidates: [tieA, tieB, cheapC] }))).toEqual(a);
  });

  it("marks heuristic decisions as fallback", () => {
    const d = decide(input({ model: null, candidates: [{ ...cheapB, confidence: null }] }));
    expect(d.fallback).toBe(true);
    expect(d.modelName).toBeNull();
    expect(d.confidence).toBeNull();
  });

  it("decideFromQuotes joins candidate pools with the quote map and skips pools without a quote", () => {
    const b = pool("us-east-1b", "m5.large");
    const c = pool("us-east-1c", "m5.large");
    const quotes = new Map([
      [poolId(here), { price: 0.04, risk: 0.0001, confidence: 0.9 }],
      [poolId(b), { price: 0.03, risk: 0.0001, confidence: 0.7 }],
    ]);
    const base = input();
    const d = decideFromQuotes({ ...base, candidates: [here, b, c], quotes });
    expect(d.action).toBe("SWITCH");
    expect(d.to).toEqual(b);
    expect(d.confidence).toBe(0.7);
    expect(d.alternatives).toEqual([]);
  });
});

describe("revalidate", () => {
  const first = decide(input({ candidates: [cheapB, cheapC] }));

  it("accepts a move the policy still makes on fresh quotes", () => {
    const r = revalidate(first, input({ candidates: [cheapB, cheapC] }));
    expect(r.ok).toBe(true);
  });

  it("keeps the approved target when another pool became marginally better but the target still pays back", () => {
    const r = revalidate(first, input({ candidates: [cheapB, { ...cheapC, price: 0.0299 }] }));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.decision.to).toEqual(cheapB.pool);
      expect(r.decision.savingPerHour).toBeCloseTo(0.01, 6);
    }
  });

  it("refuses when the target no longer pays back or became too risky", () => {
    const dearer = revalidate(
      first,
      input({
        candidates: [
          { ...cheapB, price: 0.039 },
          { ...cheapC, price: 0.0299 },
        ],
      }),
    );
    expect(dearer.ok).toBe(false);
    expect(dearer.reasons.join(" ")).toMatch(/no longer pays back/);
    const risky = revalidate(first, input({ candidates: [{ ...cheapB, risk: 0.9 }, cheapC] }));
    expect(risky.ok).toBe(false);
    expect(risky.reasons.join(" ")).toMatch(/above the ceiling/);
  });

  it("refuses when a guard now holds the move back", () => {
    const r = revalidate(first, input({ candidates: [cheapB], fleet: { switchingNow: 1, fleetSize: 10 } }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.fresh.strategy).toBe("fleet-budget");
  });
});

describe("budgetOrder", () => {
  it("gives the fleet budget to escapes first, then to the largest savings", () => {
    const base = decide(input({ candidates: [cheapB] }));
    const small = { ...base, instanceId: "i-a", savingPerHour: 0.01 };
    const big = { ...base, instanceId: "i-b", savingPerHour: 0.05 };
    const escaping = { ...base, instanceId: "i-c", strategy: "risk-ceiling", savingPerHour: -0.01 };
    expect([small, big, escaping].sort(budgetOrder).map((d) => d.instanceId)).toEqual(["i-c", "i-b", "i-a"]);
  });
});

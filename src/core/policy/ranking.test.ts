/**
 * A ranking shared by instances with the same candidates gives each instance what its own scan gives: the same
 * best, the same left-out reasons in the same order, the same alternatives, the same decision; and decisions
 * shared among instances alike come out under each instance's own name.
 */
import { describe, expect, it } from "vitest";
import { HOUR, input, instance, NOW, pool, quote } from "../../../test/core/policy-testkit.js";
import { seededRandom as rng } from "../models/bootstrap.js";
import type { PoolKey } from "../types.js";
import { buildContext, rankedAlternatives, scanCandidates } from "./context.js";
import { decide, type SharedCandidates } from "./policy.js";
import { CandidateRanking } from "./ranking.js";
import type { CandidateQuote, PolicyInput } from "./types.js";

const AZS = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"];
const TYPES = ["m5.large", "m5a.large", "m6i.large", "m5n.large", "m6a.large"];

/**
 * Candidates sorted by id with every kind of problem (stale, at or above on-demand, too risky, launch likely to
 * fail) and ties in price, so that reasons appear in varied orders and costs tie.
 */
function candidates(r: () => number): CandidateQuote[] {
  const out: CandidateQuote[] = [];
  for (const az of AZS) {
    for (const t of TYPES) {
      if (r() < 0.2) continue;
      const price = [0.03, 0.031, 0.04, 0.05, 0.1, 0.2][Math.floor(r() * 6)];
      const q: CandidateQuote = { ...quote(pool(az, t), price, r() < 0.15 ? 0.5 : 0.0001 * (1 + Math.floor(r() * 3))) };
      if (r() < 0.15) q.priceTs = NOW - 100 * HOUR;
      if (r() < 0.1) q.launchFailure = 0.9;
      if (r() < 0.3) q.recentMean = price * (1 + r());
      out.push(q);
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The input of an instance in `at` over `cands`; `base` gives what instances alike share (settings included). */
function inputFor(cands: CandidateQuote[], at: PoolKey, lifecycle: "spot" | "on-demand", base = input()): PolicyInput {
  const own = cands.find((c) => c.pool.az === at.az && c.pool.instanceType === at.instanceType);
  return {
    ...base,
    instance: instance({ az: at.az, instanceType: at.instanceType, lifecycle }),
    candidates: cands,
    current: lifecycle === "spot" && own ? own : null,
  };
}

describe("a ranking shared by instances with the same candidates", () => {
  it("gives every instance its own scan's best, reasons in order, and alternatives (300 random lists)", () => {
    let compared = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const cands = candidates(r);
      const base = input({ candidates: cands });
      const ranking = new CandidateRanking(base);
      for (const c of cands) {
        for (const lifecycle of ["spot", "on-demand"] as const) {
          const x = inputFor(cands, c.pool, lifecycle, base);
          expect(ranking.serves(x)).toBe(true);
          const own = buildContext(x);
          const shared = buildContext(x, ranking.scanFor(x));
          const at = `seed ${seed}, current ${c.id}, ${lifecycle}`;
          expect(shared.best?.id ?? null, at).toBe(own.best?.id ?? null);
          expect(shared.bestCost, at).toBe(own.bestCost);
          expect([...shared.excluded], at).toEqual([...own.excluded]);
          for (const exclude of [own.best?.id ?? null, cands[0]?.id ?? null, null]) {
            expect(rankedAlternatives(shared, exclude, 5), at).toEqual(rankedAlternatives(own, exclude, 5));
          }
          expect(decide(x, undefined, { joined: cands, family: { ranking } }), at).toEqual(decide(x));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it("leaves the current pool's own reason out, and orders reasons by their first appearance without it", () => {
    const stale = (p: PoolKey, price: number): CandidateQuote => ({ ...quote(p, price), priceTs: NOW - 100 * HOUR });
    // sorted by id: the current pool (stale) comes first, then one too dear, then another stale one
    const cands = [
      stale(pool("us-east-1a", "m5.large"), 0.03),
      quote(pool("us-east-1b", "m5.large"), 0.2),
      stale(pool("us-east-1c", "m5.large"), 0.03),
      quote(pool("us-east-1d", "m5.large"), 0.035),
    ];
    const x = inputFor(cands, pool("us-east-1a", "m5.large"), "spot");
    const scan = new CandidateRanking(x).scanFor(x);
    expect([...scan.excluded]).toEqual([
      ["spot price at or above on-demand", 1],
      ["price older than 48 h", 1],
    ]);
    expect([...scan.excluded]).toEqual([...scanCandidates(x, cands[0].id, false).excluded]);
  });

  it("is not used for an input it does not serve (another on-demand price): the decision is the input's own", () => {
    const cands = [quote(pool("us-east-1b", "m5.large"), 0.03), quote(pool("us-east-1c", "m5.large"), 0.09)];
    const base = input({ candidates: cands });
    const ranking = new CandidateRanking(base);
    expect(ranking.serves(base)).toBe(true);
    const dearer = { ...base, onDemandPrice: 0.2, current: { price: 0.15, risk: 0.0001, confidence: 0.9 } };
    expect(ranking.serves(dearer)).toBe(false);
    expect(decide(dearer, undefined, { joined: cands, family: { ranking } })).toEqual(decide(dearer));
  });

  it("does not serve the input it was made from once that input moved on to another hour", () => {
    const cands = [quote(pool("us-east-1b", "m5.large"), 0.03), quote(pool("us-east-1c", "m5.large"), 0.035)];
    const reused = input({ candidates: cands });
    const ranking = new CandidateRanking(reused);
    // the backtester refills the same quote objects and input each hour
    reused.now += HOUR;
    cands[0].price = 0.09;
    expect(ranking.serves(reused)).toBe(false);
    expect(decide(reused, undefined, { joined: cands, family: { ranking } })).toEqual(decide(reused));
  });
});

describe("decisions shared among instances alike", () => {
  const cands = [quote(pool("us-east-1b", "m5.large"), 0.02), quote(pool("us-east-1c", "m5.large"), 0.025)];

  it("come out under each instance's name, with lists of its own", () => {
    const shared: SharedCandidates = { joined: cands };
    const a = decide(
      input({ candidates: cands, instance: instance({ instanceId: "i-a", managedId: "m-a" }) }),
      undefined,
      shared,
    );
    a.reasons.push("only a's");
    a.alternatives.push(pool("us-east-1d", "m5.large"));
    const bInput = input({
      candidates: cands,
      instance: instance({ instanceId: "i-b", managedId: "m-b", accountId: "2" }),
    });
    const b = decide(bInput, undefined, shared);
    expect(shared.decided?.size).toBe(1);
    expect(b).toEqual(decide(bInput));
    expect(b).toMatchObject({ action: "SWITCH", instanceId: "i-b", managedId: "m-b", accountId: "2" });
    expect(b.reasons).not.toContain("only a's");
  });

  it("are decided again for an instance that differs in history, evidence, switch block or fleet", () => {
    const shared: SharedCandidates = { joined: cands };
    const base = input({ candidates: cands });
    const variants: PolicyInput[] = [
      base,
      { ...base, history: { lastSwitchAt: NOW - HOUR, switchesPastWeek: 1 } },
      { ...base, evidence: "capacity: launch failed in the current pool" },
      { ...base, instance: instance({ switchBlocked: "stop protection is on" }) },
      { ...base, fleet: { switchingNow: 10, fleetSize: 10 } },
    ];
    const got = variants.map((v) => decide(v, undefined, shared));
    expect(shared.decided?.size).toBe(variants.length);
    for (let i = 0; i < variants.length; i++) expect(got[i]).toEqual(decide(variants[i]));
    expect(new Set(got.map((d) => d.strategy)).size).toBeGreaterThan(1);
  });
});

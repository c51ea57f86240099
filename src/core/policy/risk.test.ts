import { describe, expect, it } from "vitest";
import type { CapacityPoint } from "../types.js";
import {
  advisorHourlyRisk,
  capacityEvidence,
  EVIDENCE_WINDOW_HOURS,
  escapeEvidence,
  PRIOR_EXPOSURE_HOURS,
  poolHourlyRisk,
} from "./risk.js";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 28, 12);

describe("one meaning of risk: P(interruption within the next hour)", () => {
  it("prices an unobserved pool at its advisor bucket's monthly rate / 730 (unknown = worst)", () => {
    expect(advisorHourlyRisk(0)).toBeCloseTo(0.025 / 730, 12);
    expect(advisorHourlyRisk(4)).toBeCloseTo(0.25 / 730, 12);
    expect(advisorHourlyRisk(undefined)).toBe(advisorHourlyRisk(4));
    expect(poolHourlyRisk(2, undefined, NOW)).toEqual({
      risk: 0.125 / 730,
      source: "advisor",
      exposureHours: 0,
      losses: 0,
    });
  });

  it("never prices a pool spotwise launched into successfully above one it never observed, at any age of the launch", () => {
    // the shipped model said 0.23-0.71/h after one launch (0.71 at 12 h); the advisor said ~3e-5..3e-4/h
    for (const bucket of [0, 1, 2, 3, 4]) {
      const never = poolHourlyRisk(bucket, undefined, NOW).risk;
      for (const age of [0.1, 1, 6, 12, 24, 72, 167, 400]) {
        const launched: CapacityPoint[] = [{ ts: NOW - age * HOUR, available: 1 }];
        const r = poolHourlyRisk(bucket, launched, NOW);
        expect(r.risk).toBeLessThanOrEqual(never);
        expect(r.risk).toBeGreaterThan(0);
      }
    }
    const r = poolHourlyRisk(0, [{ ts: NOW - 24 * HOUR, available: 1 }], NOW);
    expect(r.source).toBe("observed");
    expect(r.exposureHours).toBeCloseTo(24, 9);
    // posterior mean with the prior worth PRIOR_EXPOSURE_HOURS hours
    expect(r.risk).toBeCloseTo(((0.025 / 730) * PRIOR_EXPOSURE_HOURS) / (PRIOR_EXPOSURE_HOURS + 24), 12);
  });

  it("raises the risk on an observed capacity loss, and forgets it after the window", () => {
    const pts: CapacityPoint[] = [
      { ts: NOW - 30 * HOUR, available: 1 },
      { ts: NOW - 6 * HOUR, available: 0 },
    ];
    const r = poolHourlyRisk(0, pts, NOW);
    expect(r.losses).toBe(1);
    expect(r.exposureHours).toBeCloseTo(24, 9);
    expect(r.risk).toBeCloseTo(((0.025 / 730) * PRIOR_EXPOSURE_HOURS + 1) / (PRIOR_EXPOSURE_HOURS + 24), 12);
    expect(r.risk).toBeGreaterThan(advisorHourlyRisk(4));
    const later = poolHourlyRisk(0, pts, NOW + (EVIDENCE_WINDOW_HOURS + 1) * HOUR);
    expect(later.losses).toBe(0);
    expect(capacityEvidence(pts, NOW, 2).exposureHours).toBe(0);
  });
});

describe("escape evidence", () => {
  const base = { poolId: "us-east-1/us-east-1a/m5.large", bucket: 0, riskCeiling: 0.01, now: NOW };
  it("is a capacity loss in the pool since the instance entered it", () => {
    const pts: CapacityPoint[] = [
      { ts: NOW - 48 * HOUR, available: 0 },
      { ts: NOW - 24 * HOUR, available: 1 },
    ];
    // the loss is older than the instance's time in the pool: no evidence
    expect(escapeEvidence({ ...base, capacity: pts, since: NOW - 24 * HOUR })).toBeNull();
    const warned = [...pts, { ts: NOW - HOUR, available: 0 as const }];
    expect(escapeEvidence({ ...base, capacity: warned, since: NOW - 24 * HOUR })).toMatch(/capacity loss observed/);
  });

  it("is a risk above the ceiling now and an hour before, not a single figure", () => {
    const losses: CapacityPoint[] = Array.from({ length: 3 }, (_, k) => ({ ts: NOW - (3 + k) * HOUR, available: 0 }));
    // three losses before the instance entered the pool: the risk is above the ceiling and sustained
    expect(escapeEvidence({ ...base, capacity: losses, since: NOW - 2 * HOUR })).toMatch(/for at least an hour/);
    expect(escapeEvidence({ ...base, capacity: [], since: null })).toBeNull();
  });

  it("reads the same from risks the caller computed as from the ones it computes, and uses them", () => {
    const losses: CapacityPoint[] = Array.from({ length: 3 }, (_, k) => ({ ts: NOW - (3 + k) * HOUR, available: 0 }));
    const risks = {
      now: poolHourlyRisk(base.bucket, losses, NOW).risk,
      before: poolHourlyRisk(base.bucket, losses, NOW - HOUR).risk,
    };
    const args = { ...base, capacity: losses, since: NOW - 2 * HOUR };
    expect(escapeEvidence({ ...args, risks })).toBe(escapeEvidence(args));
    // below the ceiling an hour before: not sustained, whatever the capacity series says
    expect(escapeEvidence({ ...args, risks: { now: risks.now, before: 0 } })).toBeNull();
  });
});

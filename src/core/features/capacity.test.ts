import { describe, expect, it } from "vitest";
import type { CapacityPoint } from "../types.js";
import { capacityFeatures } from "./capacity.js";
import { FEATURE_NAMES } from "./contract.js";
import { hourOfWeek, timeWeightedMean } from "./series.js";

const H = 3_600_000;
const T = Date.UTC(2026, 0, 10, 12);
const pts = (...spec: Array<[hoursAgo: number, available: 0 | 1]>): CapacityPoint[] =>
  spec.map(([h, a]) => ({ ts: T - h * H, available: a }));

function named(points: CapacityPoint[], now = T): Record<string, number> {
  const v = capacityFeatures(points, now);
  return Object.fromEntries(FEATURE_NAMES.slice(14, 23).map((n, i) => [n, v[i]]));
}

describe("capacityFeatures (features 14..22)", () => {
  it("covers the contract's names in order", () => {
    expect(FEATURE_NAMES.slice(14, 23)).toEqual([
      "cap_available_now",
      "cap_unavail_frac_1h",
      "cap_unavail_frac_6h",
      "cap_unavail_frac_24h",
      "cap_unavail_frac_7d",
      "hours_since_capacity_loss",
      "cap_available_run_hours",
      "cap_unavailable_run_hours",
      "cap_loss_events_24h",
    ]);
  });

  it("nothing observed at or before now: every capacity feature is NaN", () => {
    for (const f of [named([]), named(pts([-1, 0], [-2, 1]))]) {
      for (const [name, v] of Object.entries(f)) expect(v, name).toBeNaN();
    }
  });

  it("an observed history without a loss: 720 hours since loss, no events", () => {
    const f = named(pts([3, 1]));
    expect(f.hours_since_capacity_loss).toBe(720);
    expect(f.cap_loss_events_24h).toBe(0);
    expect(f.cap_available_run_hours).toBe(3);
  });

  it("available since 30 h, lost 50 h ago for 2 h", () => {
    // 1 at -100h, 0 at -50h, 0 at -49h (same run), 1 at -48h, 1 at -30h (same run as -48h)
    const f = named(pts([100, 1], [50, 0], [49, 0], [48, 1], [30, 1]));
    expect(f.cap_available_now).toBe(1);
    expect(f.cap_unavail_frac_1h).toBe(0);
    expect(f.cap_unavail_frac_24h).toBe(0);
    // 7d window is [-168h, 0], known from -100h: 100 h known, 2 h of them unavailable
    expect(f.cap_unavail_frac_7d).toBeCloseTo(2 / 100, 6);
    expect(f.hours_since_capacity_loss).toBe(50);
    expect(f.cap_available_run_hours).toBe(48);
    expect(f.cap_unavailable_run_hours).toBe(0);
    expect(f.cap_loss_events_24h).toBe(0);
  });

  it("unavailable now, two losses inside 24 h", () => {
    // 1 at -30h, 0 at -20h, 1 at -10h, 0 at -3h, 0 at -1h
    const f = named(pts([30, 1], [20, 0], [10, 1], [3, 0], [1, 0]));
    expect(f.cap_available_now).toBe(0);
    expect(f.cap_unavail_frac_1h).toBe(1);
    expect(f.cap_unavail_frac_6h).toBeCloseTo(3 / 6, 6);
    expect(f.cap_unavail_frac_24h).toBeCloseTo((10 + 3) / 24, 6); // [-24,-20] 1, [-20,-10] 0, [-10,-3] 1, [-3,0] 0
    expect(f.hours_since_capacity_loss).toBe(0);
    expect(f.cap_available_run_hours).toBe(0);
    expect(f.cap_unavailable_run_hours).toBe(3);
    expect(f.cap_loss_events_24h).toBe(2);
  });

  it("a first point of 0 counts as a loss event; hours are capped at 720", () => {
    const f = named(pts([1000, 0], [5, 0]));
    expect(f.cap_loss_events_24h).toBe(0); // the first point is outside (t-24h, t]
    expect(f.cap_unavailable_run_hours).toBe(720);
    const g = named(pts([5, 0]));
    expect(g.cap_loss_events_24h).toBe(1);
    expect(g.cap_unavailable_run_hours).toBe(5);
    const h = named(pts([1000, 1]));
    expect(h.cap_available_run_hours).toBe(720);
    expect(h.hours_since_capacity_loss).toBe(720);
  });

  it("ignores observations after now and a loss exactly 24 h ago", () => {
    const f = named(pts([24, 0], [12, 1], [-2, 0]));
    expect(f.cap_available_now).toBe(1);
    expect(f.cap_loss_events_24h).toBe(0); // (t-24h, t] excludes t-24h
    expect(f.hours_since_capacity_loss).toBe(24);
    expect(f.cap_unavail_frac_24h).toBeCloseTo(12 / 24, 6);
  });
});

describe("series helpers", () => {
  it("hour of week is Monday-based UTC", () => {
    expect(hourOfWeek(Date.UTC(2026, 0, 5, 0))).toBe(0); // Monday 2026-01-05
    expect(hourOfWeek(Date.UTC(2026, 0, 11, 23))).toBe(167); // Sunday 23:00
    expect(hourOfWeek(Date.UTC(2026, 0, 7, 13, 59))).toBe(61); // Wednesday 13:59
  });

  it("time-weighted mean weighs by duration, not by record", () => {
    const points = [
      { ts: 0, price: 1 },
      { ts: 9 * H, price: 2 },
      { ts: 9.5 * H, price: 2 },
    ];
    expect(timeWeightedMean(points, 10 * H, 10 * H, (p) => p.price)).toBeCloseTo((9 * 1 + 1 * 2) / 10, 9);
  });
});

import { describe, expect, it } from "vitest";
import type { PricePoint } from "../types.js";
import { poolId } from "../types.js";
import { counterfactualSaving, priceAt } from "./counterfactual.js";

const H = 3_600_000;
const T0 = Date.UTC(2021, 2, 1);
const a = { region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" };
const b = { region: "us-east-1", az: "us-east-1b", instanceType: "m5.large" };

function series(entries: [typeof a, PricePoint[]][]): Map<string, PricePoint[]> {
  return new Map(entries.map(([k, v]) => [poolId(k), v]));
}

describe("counterfactual saving", () => {
  it("integrates both piecewise-constant series over the window (price holds until the next record)", () => {
    const s = series([
      [
        a,
        [
          { ts: T0 - 5 * H, price: 0.05 },
          { ts: T0 + 2 * H, price: 0.06 },
        ],
      ],
      [
        b,
        [
          { ts: T0 - H, price: 0.03 },
          { ts: T0 + 3 * H, price: 0.07 },
        ],
      ],
    ]);
    const r = counterfactualSaving({
      from: { pool: a },
      to: { pool: b },
      at: T0,
      until: T0 + 4 * H,
      series: s,
      switchCost: 0.02,
    });
    // from: 2h × 0.05 + 2h × 0.06 = 0.22; to: 3h × 0.03 + 1h × 0.07 = 0.16
    expect(r.fromCost).toBeCloseTo(0.22, 10);
    expect(r.toCost).toBeCloseTo(0.16, 10);
    expect(r.grossSaving).toBeCloseTo(0.06, 10);
    expect(r.netSaving).toBeCloseTo(0.04, 10);
    expect(r.hours).toBe(4);
    expect(r.coveredHours).toBe(4);
    expect(r.complete).toBe(true);
  });

  it("can come out negative: a move that would have lost money", () => {
    const s = series([
      [a, [{ ts: T0 - H, price: 0.05 }]],
      [
        b,
        [
          { ts: T0 - H, price: 0.04 },
          { ts: T0 + H, price: 0.09 },
        ],
      ],
    ]);
    const r = counterfactualSaving({ from: { pool: a }, to: { pool: b }, at: T0, until: T0 + 10 * H, series: s });
    expect(r.netSaving).toBeCloseTo(0.01 - 9 * 0.04, 10);
  });

  it("leaves out the stretch where a leg has no price yet and says so", () => {
    const s = series([
      [a, [{ ts: T0 - H, price: 0.05 }]],
      [b, [{ ts: T0 + 2 * H, price: 0.03 }]],
    ]);
    const r = counterfactualSaving({ from: { pool: a }, to: { pool: b }, at: T0, until: T0 + 6 * H, series: s });
    expect(r.coveredHours).toBe(4);
    expect(r.complete).toBe(false);
    expect(r.grossSaving).toBeCloseTo(4 * 0.02, 10);
  });

  it("prices an on-demand leg at its fixed price", () => {
    const s = series([[a, [{ ts: T0, price: 0.05 }]]]);
    const r = counterfactualSaving({
      from: { pool: a },
      to: { fixedPrice: 0.096 },
      at: T0,
      until: T0 + 2 * H,
      series: s,
    });
    expect(r.grossSaving).toBeCloseTo(2 * (0.05 - 0.096), 10);
  });

  it("priceAt returns the record in effect, NaN before the first", () => {
    const pts = [
      { ts: 10, price: 1 },
      { ts: 20, price: 2 },
    ];
    expect(priceAt(pts, 5)).toBeNaN();
    expect(priceAt(pts, 10)).toBe(1);
    expect(priceAt(pts, 19)).toBe(1);
    expect(priceAt(pts, 25)).toBe(2);
  });
});

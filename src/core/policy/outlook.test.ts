import { describe, expect, it } from "vitest";
import { hourlyEwma, priceEwma, priceEwmaPair } from "./outlook.js";

const H = 3_600_000;

describe("price EWMA", () => {
  it("moves half way to a new price after one half-life, NaN before the first point", () => {
    const pts = [
      { ts: 0, price: 1 },
      { ts: 10 * H, price: 3 },
    ];
    expect(priceEwma(pts, -1, 48)).toBeNaN();
    expect(priceEwma(pts, 10 * H, 48)).toBe(1);
    expect(priceEwma(pts, 58 * H, 48)).toBeCloseTo(2, 12);
    expect(priceEwma(pts, 106 * H, 48)).toBeCloseTo(2.5, 12);
  });

  it("on hourly samples agrees with the continuous mean lagged by one hour", () => {
    const prices = [1, 1, 2, 2, 2, 5, 5, 1];
    const out = new Float64Array(prices.length);
    hourlyEwma(prices, 6, out);
    const pts = prices.map((price, h) => ({ ts: h * H, price }));
    for (let h = 1; h < prices.length; h++) {
      // the hourly mean at h has taken in the price of hour h; the continuous one by h + 1 has held it an hour
      expect(out[h]).toBeCloseTo(priceEwma(pts, (h + 1) * H, 6) + 0, 12);
    }
  });

  it("skips hours without a price", () => {
    const out = new Float64Array(4);
    hourlyEwma([Number.NaN, 2, Number.NaN, 2], 10, out);
    expect(out[0]).toBeNaN();
    expect(Array.from(out.subarray(1))).toEqual([2, 2, 2]);
  });

  it("in one pass at two half-lives gives exactly priceEwma() at each", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let run = 0; run < 50; run++) {
      let ts = 0;
      const pts = Array.from({ length: 1 + Math.floor(next() * 200) }, () => {
        ts += Math.floor(next() * 7 * H);
        return { ts, price: Math.round(next() * 1e4) / 1e5 };
      });
      for (const now of [-1, pts[0].ts, ts / 2, ts, ts + 5 * H]) {
        const pair = priceEwmaPair(pts, now, 6, 168);
        expect(Object.is(pair.a, priceEwma(pts, now, 6))).toBe(true);
        expect(Object.is(pair.b, priceEwma(pts, now, 168))).toBe(true);
        expect(priceEwmaPair(pts, now, 6, 0).b).toBeNaN();
      }
    }
  });
});

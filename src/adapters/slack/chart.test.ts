import { describe, expect, it } from "vitest";
import { COLORS, niceMax, renderSavingsChart } from "./chart.js";
import { decodePng } from "./png-decode.test-helper.js";

describe("renderSavingsChart", () => {
  const series = Array.from({ length: 30 }, (_, i) => ({
    day: `2026-11-${String(i + 1).padStart(2, "0")}`,
    realized: i === 29 ? 100 : 0,
    counterfactual: 50,
  }));

  it("encodes a valid PNG of the requested size", () => {
    const png = decodePng(renderSavingsChart(series, { width: 600, height: 240 }));
    expect([png.width, png.height]).toEqual([600, 240]);
  });

  it("draws the last day's realized bar in green up to the top, and the counterfactual line in blue at half height", () => {
    const w = 720;
    const h = 300;
    const png = decodePng(renderSavingsChart(series, { width: w, height: h }));
    const left = 70;
    const slot = (w - 20 - left) / 30;
    const top = 30;
    const bottom = h - 30;
    const lastBarX = Math.round(left + 29.5 * slot);
    expect(png.pixel(lastBarX, Math.round(top + 5))).toEqual([...COLORS.realized]);
    expect(png.pixel(lastBarX, bottom - 5)).toEqual([...COLORS.realized]);
    // Day 1 has no realized saving: background under the line, blue on it (max 100 → 50 at mid height).
    const x = Math.round(left + 2 * slot);
    const mid = Math.round((top + bottom) / 2);
    expect(png.pixel(x, mid)).toEqual([...COLORS.counterfactual]);
    expect(png.pixel(x, bottom - 10)).toEqual([...COLORS.background]);
  });

  it("renders an empty series without failing", () => {
    expect(decodePng(renderSavingsChart([])).width).toBe(720);
  });

  it("picks nice axis maxima", () => {
    expect([niceMax(0), niceMax(0.7), niceMax(3), niceMax(101), niceMax(5000)]).toEqual([1, 1, 5, 200, 5000]);
  });
});

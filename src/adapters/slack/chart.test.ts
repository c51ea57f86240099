import { describe, expect, it } from "vitest";
import { decodePng } from "../../../test/adapters/png-decode.js";
import { AXES, COLORS, LEGEND, renderSavingsChart, savingsChartSvg } from "./chart.js";

const hex = (c: string) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
const near = (a: number[], b: number[], tol = 12) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

describe("the digest's savings chart (ECharts SVG → resvg PNG)", () => {
  const series = Array.from({ length: 30 }, (_, i) => ({
    day: `2026-11-${String(i + 1).padStart(2, "0")}`,
    realized: i === 29 ? 100 : 0,
    counterfactual: 50,
  }));

  it("has labelled axes, a legend naming both series, and the days on the x axis", () => {
    const svg = savingsChartSvg(series);
    for (const s of [AXES.x, AXES.y, LEGEND.realized, LEGEND.missed, "11-01", "$100", "2026-11-01 to 2026-11-30"]) {
      expect(svg).toContain(s);
    }
  });

  it("is a real PNG of the requested size with the bars, the line and text drawn in system fonts", () => {
    const png = decodePng(renderSavingsChart(series, { width: 720, height: 300 }));
    expect([png.width, png.height]).toEqual([720, 300]);
    let green = 0;
    let red = 0;
    let textInXAxisName = 0;
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const p = png.pixel(x, y);
        if (near(p, hex(COLORS.realized))) green++;
        if (near(p, hex(COLORS.missed))) red++;
        // the x axis name sits centred in the bottom 20 px: dark glyph pixels prove fonts were found
        if (y > png.height - 22 && x > 300 && x < 460 && p[0] < 120) textInXAxisName++;
      }
    }
    expect(green).toBeGreaterThan(500); // one full-height bar on the last day
    expect(red).toBeGreaterThan(300); // the flat missed-savings line across the plot
    expect(textInXAxisName).toBeGreaterThan(30);
  });

  it("renders an empty series without failing", () => {
    expect(decodePng(renderSavingsChart([])).width).toBe(720);
    expect(savingsChartSvg([])).toContain(AXES.y);
  });
});

/**
 * The savings chart of the daily digest: realized savings per day (completed switches) as bars and missed
 * savings per day (advice nobody approved) as a line, over the last 30 days, with labelled axes and a legend.
 * Drawn by ECharts' server-side SVG renderer and turned into a PNG by resvg with the system fonts.
 */
import { Resvg } from "@resvg/resvg-js";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { usd } from "../../core/format.js";
import type { DigestReport } from "../../core/ports/notifier.js";

// ECharts' own component registry (idempotent): only what this chart uses is bundled.
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

export const COLORS = {
  background: "#ffffff",
  realized: "#2ea043",
  missed: "#d1242f",
  text: "#24292f",
  grid: "#e1e4e8",
} as const;

export const LEGEND = {
  realized: "Realized (completed switches)",
  missed: "Missed (advice not approved)",
} as const;

export const AXES = { x: "Day (UTC)", y: "Savings per day (USD)" } as const;

const FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

export interface ChartSize {
  width?: number;
  height?: number;
}

/** The chart as an SVG document. */
export function savingsChartSvg(series: DigestReport["series"], size: ChartSize = {}): string {
  const width = size.width ?? 720;
  const height = size.height ?? 300;
  const days = series.slice(-30);
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: COLORS.background,
      textStyle: { fontFamily: FONT, color: COLORS.text },
      title: {
        text: days.length ? `spotwise savings, ${days[0].day} to ${days[days.length - 1].day}` : "spotwise savings",
        left: 10,
        top: 6,
        textStyle: { fontSize: 13, fontFamily: FONT, color: COLORS.text },
      },
      legend: {
        top: 28,
        left: 70,
        itemGap: 24,
        textStyle: { fontSize: 11, fontFamily: FONT },
        data: [LEGEND.realized, LEGEND.missed],
      },
      grid: { left: 78, right: 20, top: 62, bottom: 48 },
      xAxis: {
        type: "category",
        name: AXES.x,
        nameLocation: "middle",
        nameGap: 30,
        data: days.map((d) => d.day.slice(5)),
        axisLabel: { fontSize: 10, fontFamily: FONT, interval: Math.max(0, Math.ceil(days.length / 8) - 1) },
      },
      yAxis: {
        type: "value",
        name: AXES.y,
        nameLocation: "middle",
        nameGap: 62,
        min: 0,
        axisLabel: { fontSize: 10, fontFamily: FONT, formatter: (v: number) => usd(v).replace(/\.00$/, "") },
        splitLine: { lineStyle: { color: COLORS.grid } },
      },
      series: [
        {
          name: LEGEND.realized,
          type: "bar",
          data: days.map((d) => d.realized),
          itemStyle: { color: COLORS.realized },
          barMaxWidth: 18,
        },
        {
          name: LEGEND.missed,
          type: "line",
          data: days.map((d) => d.counterfactual),
          itemStyle: { color: COLORS.missed },
          lineStyle: { color: COLORS.missed, width: 2 },
          symbol: "circle",
          symbolSize: 4,
        },
      ],
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The chart as a PNG (what the digest uploads). */
export function renderSavingsChart(series: DigestReport["series"], size: ChartSize = {}): Uint8Array {
  const svg = savingsChartSvg(series, size);
  const resvg = new Resvg(svg, {
    background: COLORS.background,
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return new Uint8Array(resvg.render().asPng());
}

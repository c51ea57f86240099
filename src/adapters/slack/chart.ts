/**
 * The savings chart of the daily digest: realized savings per day as green bars, counterfactual (shadow)
 * savings as a blue line, over the last 30 days, with a labelled y axis. PNG via ./png.ts, no dependencies.
 */
import type { DigestReport } from "../../core/ports/notifier.js";
import { Canvas, type Rgb } from "./png.js";

export const COLORS = {
  background: [255, 255, 255] as Rgb,
  grid: [225, 228, 232] as Rgb,
  axis: [90, 90, 90] as Rgb,
  realized: [46, 160, 67] as Rgb,
  counterfactual: [31, 111, 235] as Rgb,
  text: [40, 40, 40] as Rgb,
};

// 3×5 glyphs, rows top to bottom, 3 bits each (MSB left).
const GLYPHS: Record<string, number[]> = {
  "0": [7, 5, 5, 5, 7],
  "1": [2, 6, 2, 2, 7],
  "2": [7, 1, 7, 4, 7],
  "3": [7, 1, 7, 1, 7],
  "4": [5, 5, 7, 1, 1],
  "5": [7, 4, 7, 1, 7],
  "6": [7, 4, 7, 5, 7],
  "7": [7, 1, 1, 1, 1],
  "8": [7, 5, 7, 5, 7],
  "9": [7, 5, 7, 1, 7],
  $: [3, 6, 2, 3, 6],
  ".": [0, 0, 0, 0, 2],
  k: [4, 5, 6, 5, 5],
  "-": [0, 0, 7, 0, 0],
  " ": [0, 0, 0, 0, 0],
};

export function drawText(c: Canvas, x: number, y: number, text: string, color: Rgb, scale = 2): number {
  let cx = x;
  for (const ch of text) {
    const g = GLYPHS[ch] ?? GLYPHS[" "];
    g.forEach((row, ry) => {
      for (let bx = 0; bx < 3; bx++)
        if (row & (4 >> bx)) c.fillRect(cx + bx * scale, y + ry * scale, scale, scale, color);
    });
    cx += 4 * scale;
  }
  return cx;
}

function money(v: number): string {
  if (Math.abs(v) >= 1000) return `$${(v / 1000).toFixed(1)}k`;
  return `$${v.toFixed(v >= 10 ? 0 : 2)}`;
}

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least the data maximum. */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function renderSavingsChart(
  series: DigestReport["series"],
  size: { width?: number; height?: number } = {},
): Uint8Array {
  const width = size.width ?? 720;
  const height = size.height ?? 300;
  const c = new Canvas(width, height, COLORS.background);
  const left = 70;
  const right = width - 20;
  const top = 30;
  const bottom = height - 30;
  const days = series.slice(-30);
  const max = niceMax(Math.max(0, ...days.map((d) => Math.max(d.realized, d.counterfactual))));
  const y = (v: number) => bottom - (Math.max(0, v) / max) * (bottom - top);

  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    c.line(left, y(v), right, y(v), COLORS.grid);
    const label = money(v);
    drawText(c, left - 8 - label.length * 8, y(v) - 5, label, COLORS.text);
  }
  // Legend: green square = realized, blue = counterfactual.
  c.fillRect(left, 8, 14, 14, COLORS.realized);
  c.fillRect(left + 30, 8, 14, 14, COLORS.counterfactual);

  const n = Math.max(days.length, 1);
  const slot = (right - left) / n;
  days.forEach((d, i) => {
    const h = bottom - y(d.realized);
    if (h > 0) c.fillRect(left + i * slot + slot * 0.15, y(d.realized), Math.max(1, slot * 0.7), h, COLORS.realized);
  });
  for (let i = 1; i < days.length; i++) {
    const x0 = left + (i - 0.5) * slot;
    const x1 = left + (i + 0.5) * slot;
    c.line(x0, y(days[i - 1].counterfactual), x1, y(days[i].counterfactual), COLORS.counterfactual, 3);
  }
  c.line(left, top, left, bottom, COLORS.axis, 2);
  c.line(left, bottom, right, bottom, COLORS.axis, 2);
  if (days.length > 0) {
    drawText(c, left, bottom + 10, days[0].day.slice(5), COLORS.text);
    const last = days[days.length - 1].day.slice(5);
    drawText(c, right - last.length * 8, bottom + 10, last, COLORS.text);
  }
  return c.toPng();
}

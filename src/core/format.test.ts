import { describe, expect, it } from "vitest";
import { money, usd, usdPerHour } from "./format.js";

/** The formatter usd() used for every amount before its fast path below $1,000. */
const DOLLARS = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
function reference(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  const cents = Math.round(Math.abs(v) * 100) / 100;
  return `${v < 0 && cents > 0 ? "-" : ""}$${DOLLARS.format(cents)}`;
}

describe("usd", () => {
  it("writes what Intl.NumberFormat writes, for every cent below $1,000 and around the edges", () => {
    const differ: string[] = [];
    let checked = 0;
    for (let c = 0; c <= 100_000; c++) {
      for (const v of [c / 100, -c / 100, c / 100 + 0.004999, c / 100 - 0.005, c / 100 + 0.005]) {
        checked++;
        if (usd(v) !== reference(v)) differ.push(`${v}: ${usd(v)} vs ${reference(v)}`);
      }
    }
    expect(differ.slice(0, 5)).toEqual([]);
    expect(checked).toBe(500_005);
    for (const v of [999.995, 999.994999, 1000, 1234.5, 7358.4, -3, -0.001, 0.005, 1e7 + 0.125, Number.NaN]) {
      expect(usd(v), String(v)).toBe(reference(v));
    }
    expect([usd(7358.4), usd(-3), usd(0.999), usd(999.999)]).toEqual(["$7,358.40", "-$3.00", "$1.00", "$1,000.00"]);
  });

  it("hourly figures keep four decimals below a dollar", () => {
    expect([usdPerHour(0.0312), usdPerHour(10.08), money(0.0312), money(12.5)]).toEqual([
      "$0.0312/h",
      "$10.08/h",
      "$0.0312",
      "$12.50",
    ]);
    expect([usdPerHour(-0.00004), usdPerHour(-0.0312), usdPerHour(0), usdPerHour(-1.5)]).toEqual([
      "$0.0000/h",
      "-$0.0312/h",
      "$0.0000/h",
      "-$1.50/h",
    ]);
    // an amount that is not a number says so (it read "n" when cut from "n/a/h")
    expect([money(Number.NaN), usdPerHour(Number.NaN), money(Number.POSITIVE_INFINITY)]).toEqual(["n/a", "n/a", "n/a"]);
  });
});

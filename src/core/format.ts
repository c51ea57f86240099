/**
 * The one place figures shown to people are formatted: Slack views, the console notifier, the digest, the
 * policy's reasons. Money has one format (US dollars, thousands separators, cents; hourly prices below $1 keep
 * four decimals because spot prices move in tenths of a cent), a risk is a probability per hour shown in
 * percent per hour with enough digits to tell 0.04 %/h from 0.4 %/h, and pools read "p3.16xlarge in eu-west-1a".
 */
import type { PoolKey } from "./types.js";

const POOL_ID = /\b([a-z]{2}(?:-gov)?-[a-z]+-\d)\/([a-z]{2}(?:-gov)?-[a-z]+-\d[a-z])\/([a-z0-9-]+\.[a-z0-9-]+)\b/g;

/** Dollars with thousands separators and cents (one formatter: toLocaleString builds one per call). */
const DOLLARS = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "$7,358.40", "-$3.00". Totals and monthly figures. */
export function usd(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  const cents = Math.round(Math.abs(v) * 100) / 100;
  const sign = v < 0 && cents > 0 ? "-" : "";
  // below a thousand there is no separator and toFixed(2) writes what the formatter writes, several times faster
  // (the decide tick formats thousands of amounts)
  return `${sign}$${cents < 1000 ? cents.toFixed(2) : DOLLARS.format(cents)}`;
}

/** An hourly price or saving: "$0.0312/h" below a dollar, "$10.08/h" above. */
export function usdPerHour(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  return `${Math.abs(v) >= 1 ? usd(v) : belowDollar(v)}/h`;
}

/** "$0.0312", "-$0.0312": an amount below a dollar with four decimals. */
function belowDollar(v: number): string {
  const abs = Math.abs(v);
  return `${v < 0 && abs >= 0.00005 ? "-" : ""}$${abs.toFixed(4)}`;
}

/** "$7,358.40/month". */
export function usdPerMonth(v: number): string {
  return `${usd(v)}/month`;
}

/**
 * An amount in the policy's reasons, where hourly and monthly figures share one formatter: cents from a dollar
 * up (and for zero), four decimals below (spot prices move in tenths of a cent).
 */
export function money(v: number): string {
  return Math.abs(v) >= 1 || v === 0 || !Number.isFinite(v) ? usd(v) : belowDollar(v);
}

/**
 * A per-hour probability as percent per hour with two significant digits: 3.9e-4 → "0.039 %/h",
 * 0.0004 → "0.04 %/h", 0.012 → "1.2 %/h", 0 → "0 %/h".
 */
export function riskPerHour(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return "n/a";
  const pct = p * 100;
  if (pct === 0) return "0 %/h";
  if (pct < 0.0001) return "< 0.0001 %/h";
  const digits = Math.max(0, 1 - Math.floor(Math.log10(Math.abs(pct))));
  return `${Number(pct.toFixed(Math.min(digits, 6)))} %/h`;
}

/** "p3.16xlarge in eu-west-1a". */
export function poolName(p: PoolKey): string {
  return `${p.instanceType} in ${p.az}`;
}

/** What moves, naming only what changes: "eu-west-1c → eu-west-1a, p3.16xlarge", "p3.8xlarge → p3.2xlarge in us-east-1a". */
export function moveName(from: PoolKey, to: PoolKey | null): string {
  if (!to) return poolName(from);
  if (from.instanceType === to.instanceType) {
    return from.az === to.az ? poolName(from) : `${from.az} → ${to.az}, ${to.instanceType}`;
  }
  if (from.az === to.az) return `${from.instanceType} → ${to.instanceType} in ${to.az}`;
  return `${poolName(from)} → ${poolName(to)}`;
}

/** Rewrites raw pool ids ("eu-west-1/eu-west-1a/p3.16xlarge") inside a text as pool names. */
export function readablePools(text: string): string {
  return text.replace(POOL_ID, (_m, _region: string, az: string, type: string) => `${type} in ${az}`);
}

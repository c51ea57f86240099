/**
 * Small formatting helpers shared by the Block Kit builders and the console renderer. Money, risk and pool
 * names come from the one formatter module, src/core/format.ts, so every view says them the same way.
 */
import { poolName } from "../../core/format.js";
import type { PoolKey } from "../../core/types.js";

export {
  moveName,
  poolName,
  readablePools,
  riskPerHour,
  usd,
  usdPerHour,
  usdPerMonth,
} from "../../core/format.js";

export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "n/a" : `${(v * 100).toFixed(digits)}%`;
}

export function num(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits);
}

export function pool(p: PoolKey): string {
  return poolName(p);
}

export function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Slack date token that renders in the reader's time zone, with a UTC fallback. */
export function slackDate(ms: number): string {
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${isoMinute(ms)}>`;
}

export function ago(ms: number | null, now: number): string {
  if (ms === null) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** Cuts `text` to `max` characters with an ellipsis, for Block Kit limits. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Escapes &, < and > for mrkdwn. */
export function esc(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

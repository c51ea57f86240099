/**
 * The true state of every component for `/spot status` and App Home. Reported health rows (the daemon's
 * ticks, the process probes) are read as they are, except that a report goes stale (degraded) when its
 * producer stopped reporting, and a component nobody ever reported is "unknown" only for a short grace
 * period after start, then "down" with what should have reported it. The circuit breakers and the model
 * are read live from their services. Connection details (hosts, users, URLs) never reach this view:
 * they belong to `spotwise config check` and the logs.
 */
import type { BreakerView } from "../core/control/service.js";
import type { ComponentHealth } from "../core/health/health.js";
import type { ComponentName, ComponentStatus } from "./services.js";

const MIN = 60_000;

/** How long a report stays true without a new one, per component (the producer's interval plus slack). */
export const STALE_AFTER_MS: Partial<Record<ComponentName, number>> = {
  database: 5 * MIN,
  redis: 5 * MIN,
  scraper: 30 * MIN,
  scheduler: 30 * MIN,
  aws: 60 * MIN,
};

/** After this long without any report, a component is down rather than unknown. */
export const GRACE_MS = 15 * MIN;

const NEVER_REPORTED: Record<ComponentName, string> = {
  database: "never checked",
  redis: "never checked",
  aws: "no scrape or decide tick has reached AWS: is `spotwise daemon` (or `start`) running?",
  scraper: "no scrape tick has run: is `spotwise daemon` (or `start`) running?",
  model: "no model loaded",
  scheduler: "no job tick has run: is `spotwise daemon` (or `start`) running?",
  slack: "no bot process has started",
  "circuit-breakers": "not read",
};

export interface StatusSourceDeps {
  report(): Promise<ComponentHealth[]>;
  /** Live breaker states (ControlService.status().breakers). */
  breakers?: () => Promise<BreakerView[]>;
  /** The champion model, live from the registry; null when there is none. */
  champion?: () => Promise<{ name: string; version: number } | null>;
  /** Configured account ids: none configured is a state of its own. */
  accounts?: readonly string[];
  now(): number;
  /** When this process started (the grace period runs from it). */
  startedAt: number;
}

export async function componentStatuses(d: StatusSourceDeps): Promise<ComponentStatus[]> {
  const now = d.now();
  const [rows, breakers, champion] = await Promise.all([
    d.report(),
    d.breakers ? d.breakers() : Promise.resolve(null),
    d.champion ? d.champion().catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const out: ComponentStatus[] = [];
  for (const h of rows) {
    const [base, account] = h.component.split(":") as [ComponentName, string | undefined];
    const label = account ? `${base} ${account}` : base.replace("-", " ");
    let c: ComponentStatus = {
      component: base,
      label,
      status: h.status,
      lastOkAt: h.lastOkAt,
      detail: publicDetail(h.detail ?? undefined),
    };
    if (base === "circuit-breakers" && breakers) c = breakerStatus(breakers, label, now);
    else if (base === "model" && champion !== undefined) c = modelStatus(champion, h, label, now);
    else if (base === "aws" && !account && d.accounts && d.accounts.length === 0) {
      c = { ...c, status: "degraded", detail: "no AWS accounts configured: add accounts: to the SPOTWISE_CONFIG file" };
    } else if (h.status === "unknown" || h.lastCheckAt === 0) {
      c = {
        ...c,
        status: now - d.startedAt < GRACE_MS ? "unknown" : "down",
        detail:
          now - d.startedAt < GRACE_MS
            ? `waiting for the first report (${NEVER_REPORTED[base]})`
            : NEVER_REPORTED[base],
      };
    } else {
      const stale = STALE_AFTER_MS[base];
      if (stale !== undefined && h.status === "ok" && now - h.lastCheckAt > stale) {
        c = { ...c, status: "degraded", detail: `no report for ${Math.round((now - h.lastCheckAt) / MIN)} min` };
      }
    }
    out.push(c);
  }
  return out;
}

function breakerStatus(breakers: BreakerView[], label: string, now: number): ComponentStatus {
  const open = breakers.filter((b) => b.state === "open");
  const half = breakers.filter((b) => b.state === "half-open");
  const base = { component: "circuit-breakers" as const, label, lastOkAt: null };
  if (open.length > 0) {
    return {
      ...base,
      status: "down",
      detail: `open for ${open.map((b) => b.accountId).join(", ")}: switching stops there${open[0].lastError ? ` (last error: ${publicDetail(open[0].lastError)})` : ""}`,
    };
  }
  if (half.length > 0) {
    return { ...base, status: "degraded", detail: `half-open for ${half.map((b) => b.accountId).join(", ")}` };
  }
  return {
    ...base,
    status: "ok",
    lastOkAt: now,
    detail: breakers.length === 0 ? "closed (no switch failures recorded)" : `all ${breakers.length} closed`,
  };
}

function modelStatus(
  champion: { name: string; version: number } | null,
  h: ComponentHealth,
  label: string,
  now: number,
): ComponentStatus {
  // the scorer reports a champion that fails to load or score: that outranks the registry saying one exists
  if ((h.status === "down" || h.status === "degraded") && h.lastCheckAt > 0) {
    return {
      component: "model",
      label,
      status: h.status,
      lastOkAt: h.lastOkAt,
      detail: publicDetail(h.detail ?? undefined),
    };
  }
  if (!champion) {
    return {
      component: "model",
      label,
      status: "degraded",
      lastOkAt: h.lastOkAt,
      detail: "no champion model: risk comes from the Spot Advisor bucket",
    };
  }
  // the registered champion failed its load checks (an earlier champion decides): the scorer's alert stands
  if (h.status === "degraded" || h.status === "down") {
    return { component: "model", label, status: h.status, lastOkAt: h.lastOkAt, detail: h.detail ?? undefined };
  }
  const line = `champion ${champion.name} v${champion.version}`;
  return {
    component: "model",
    label,
    status: "ok",
    lastOkAt: now,
    // the scorer's detail of the same champion adds the drift guard's count (pools outside its training ranges)
    detail: h.detail?.startsWith(`${line} `) || h.detail?.startsWith(`${line};`) ? h.detail : line,
  };
}

/** A detail without connection strings, hosts or users: those go to `spotwise config check` and the logs. */
export function publicDetail(detail: string | undefined): string | undefined {
  if (!detail) return detail;
  return detail
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "(connection details: `spotwise config check`)")
    .replace(/\b[\w.-]+@[\w.-]+(:\d+)?\b/g, "(connection details: `spotwise config check`)")
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, "(address hidden)");
}

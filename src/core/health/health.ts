/**
 * Component health for `/spot status` and `/readyz`: each component reports ok or a failure with the
 * reason; the last good time is kept so an operator sees how stale a component is.
 */
import type { Clock } from "../ports/clock.js";

export type ComponentStatus = "ok" | "degraded" | "down" | "unknown";

export const CORE_COMPONENTS = [
  "database",
  "redis",
  "aws",
  "scraper",
  "model",
  "scheduler",
  "slack",
  "circuit-breakers",
] as const;

export interface ComponentHealth {
  component: string;
  status: ComponentStatus;
  lastOkAt: number | null;
  lastCheckAt: number;
  detail: string | null;
}

export interface HealthStore {
  upsert(h: ComponentHealth): Promise<void>;
  list(): Promise<ComponentHealth[]>;
}

export class HealthService {
  constructor(
    private readonly store: HealthStore,
    private readonly clock: Clock,
  ) {}

  async ok(component: string, detail: string | null = null): Promise<void> {
    const now = this.clock.now();
    await this.store.upsert({ component, status: "ok", lastOkAt: now, lastCheckAt: now, detail });
  }

  async fail(component: string, reason: string, status: Exclude<ComponentStatus, "ok" | "unknown"> = "down") {
    const now = this.clock.now();
    const previous = (await this.store.list()).find((c) => c.component === component);
    await this.store.upsert({
      component,
      status,
      lastOkAt: previous?.lastOkAt ?? null,
      lastCheckAt: now,
      detail: reason,
    });
  }

  /** Every known component, with "unknown" for those never reported. Per-account AWS entries are "aws:<id>". */
  async report(): Promise<ComponentHealth[]> {
    const rows = await this.store.list();
    const byName = new Map(rows.map((r) => [r.component, r]));
    const out: ComponentHealth[] = [];
    for (const c of CORE_COMPONENTS) {
      const accountRows = c === "aws" ? rows.filter((r) => r.component.startsWith("aws:")) : [];
      if (accountRows.length) out.push(...accountRows.sort((a, b) => a.component.localeCompare(b.component)));
      else out.push(byName.get(c) ?? { component: c, status: "unknown", lastOkAt: null, lastCheckAt: 0, detail: null });
    }
    return out;
  }
}

export class MemoryHealthStore implements HealthStore {
  private readonly rows = new Map<string, ComponentHealth>();
  async upsert(h: ComponentHealth): Promise<void> {
    this.rows.set(h.component, { ...h });
  }
  async list(): Promise<ComponentHealth[]> {
    return [...this.rows.values()];
  }
}

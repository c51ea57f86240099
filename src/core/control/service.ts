/**
 * The operator's controls over switching: a global pause, a mode override (shadow / approve, set from Slack),
 * a circuit breaker per account (N consecutive failed switches open it; half-open after a cool-down, where the
 * next success closes it and the next failure opens it again) and a daily switch budget. All persisted,
 * every change audited, all reported by `status()`.
 */
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { EpochMs, Mode } from "../types.js";
import type { BreakerRecord, BreakerState, ControlStore } from "./store.js";

export interface ControlOptions {
  /** The configured mode (SPOTWISE_MODE); an override set from Slack wins. */
  defaultMode: Mode;
  breakerThreshold: number;
  breakerCooldownMs: number;
  dailyBudget: number;
}

export interface PauseStatus {
  paused: boolean;
  by?: string;
  reason?: string;
  since?: EpochMs;
}

export interface BreakerView {
  accountId: string;
  state: BreakerState;
  consecutiveFailures: number;
  openedAt?: EpochMs;
  /** When an open breaker lets a trial switch through (half-open). */
  halfOpenAt?: EpochMs;
  lastError?: string;
}

export interface ControlStatus {
  mode: Mode;
  modeSource: "config" | "override";
  modeSetBy?: string;
  pause: PauseStatus;
  budget: { day: string; used: number; limit: number };
  breakers: BreakerView[];
}

export type Gate = { ok: true } | { ok: false; code: "paused" | "circuit_open" | "shadow_mode"; reason: string };

const PAUSE_KEY = "pause";
const MODE_KEY = "mode";

export class ControlService {
  constructor(
    private readonly store: ControlStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly opts: ControlOptions,
  ) {}

  async pause(actor: string, reason?: string): Promise<void> {
    await this.store.putSetting(PAUSE_KEY, { paused: true, reason: reason ?? null }, actor, this.clock.now());
    await this.record(actor, "control.paused", undefined, { reason });
  }

  async resume(actor: string): Promise<void> {
    await this.store.putSetting(PAUSE_KEY, { paused: false, reason: null }, actor, this.clock.now());
    await this.record(actor, "control.resumed");
  }

  async pauseStatus(): Promise<PauseStatus> {
    const s = await this.store.getSetting(PAUSE_KEY);
    const v = (s?.value ?? {}) as { paused?: boolean; reason?: string | null };
    if (!s || !v.paused) return { paused: false };
    return { paused: true, by: s.updatedBy, since: s.updatedAt, reason: v.reason ?? undefined };
  }

  /** Sets the mode override; `null` clears it back to the configured mode. */
  async setMode(mode: Mode | null, actor: string): Promise<void> {
    if (mode === null) await this.store.deleteSetting(MODE_KEY);
    else await this.store.putSetting(MODE_KEY, mode, actor, this.clock.now());
    await this.record(actor, "control.mode_set", undefined, { mode: mode ?? `config:${this.opts.defaultMode}` });
  }

  async mode(): Promise<{ mode: Mode; source: "config" | "override"; setBy?: string }> {
    const s = await this.store.getSetting(MODE_KEY);
    if (s && (s.value === "shadow" || s.value === "approve")) {
      return { mode: s.value, source: "override", setBy: s.updatedBy };
    }
    return { mode: this.opts.defaultMode, source: "config" };
  }

  async breaker(accountId: string): Promise<BreakerView> {
    const b = await this.store.getBreaker(accountId);
    return this.view(b ?? { accountId, state: "closed", consecutiveFailures: 0, updatedAt: this.clock.now() });
  }

  /** May a switch in this account run now? Checks mode, the global pause and the account's breaker. */
  async gate(accountId: string): Promise<Gate> {
    const { mode, source } = await this.mode();
    if (mode === "shadow") {
      return {
        ok: false,
        code: "shadow_mode",
        reason: `spotwise is in shadow mode (${source}): it recommends but never switches; set SPOTWISE_MODE=approve or '/spotwise mode approve'`,
      };
    }
    const pause = await this.pauseStatus();
    if (pause.paused) {
      return {
        ok: false,
        code: "paused",
        reason: `switching is paused by ${pause.by}${pause.reason ? ` (${pause.reason})` : ""}; resume with '/spotwise resume' or 'spotwise control resume'`,
      };
    }
    const b = await this.breaker(accountId);
    if (b.state === "open") {
      return {
        ok: false,
        code: "circuit_open",
        reason: `circuit breaker for account ${accountId} is open after ${b.consecutiveFailures} failed switches (last: ${b.lastError ?? "unknown"}); it half-opens at ${new Date(b.halfOpenAt ?? 0).toISOString()}, or reset it after fixing the cause`,
      };
    }
    return { ok: true };
  }

  async recordSuccess(accountId: string): Promise<void> {
    const before = await this.breaker(accountId);
    await this.store.putBreaker({ accountId, state: "closed", consecutiveFailures: 0, updatedAt: this.clock.now() });
    if (before.state !== "closed") await this.record("daemon", "control.breaker_closed", accountId);
  }

  async recordFailure(accountId: string, error: string): Promise<BreakerView> {
    const before = await this.breaker(accountId);
    const failures = before.consecutiveFailures + 1;
    const now = this.clock.now();
    const opens = before.state === "half-open" || failures >= this.opts.breakerThreshold;
    const next: BreakerRecord = {
      accountId,
      state: opens ? "open" : "closed",
      consecutiveFailures: failures,
      openedAt: opens ? now : undefined,
      updatedAt: now,
      lastError: error.slice(0, 2000),
    };
    await this.store.putBreaker(next);
    if (opens) await this.record("daemon", "control.breaker_opened", accountId, { failures, error });
    return this.view(next);
  }

  async resetBreaker(accountId: string, actor: string): Promise<void> {
    await this.store.putBreaker({ accountId, state: "closed", consecutiveFailures: 0, updatedAt: this.clock.now() });
    await this.record(actor, "control.breaker_reset", accountId);
  }

  /** Takes one switch from today's budget (UTC day); false when it is used up. */
  async consumeBudget(actor: string): Promise<{ ok: boolean; used: number; limit: number }> {
    const day = this.day();
    const n = await this.store.incrementIfBelow(`budget:${day}`, this.opts.dailyBudget, actor, this.clock.now());
    if (n === null) return { ok: false, used: this.opts.dailyBudget, limit: this.opts.dailyBudget };
    return { ok: true, used: n, limit: this.opts.dailyBudget };
  }

  async budget(): Promise<{ day: string; used: number; limit: number }> {
    const day = this.day();
    const s = await this.store.getSetting(`budget:${day}`);
    return { day, used: Number(s?.value ?? 0), limit: this.opts.dailyBudget };
  }

  async status(): Promise<ControlStatus> {
    const mode = await this.mode();
    const breakers = (await this.store.listBreakers()).map((b) => this.view(b));
    return {
      mode: mode.mode,
      modeSource: mode.source,
      modeSetBy: mode.setBy,
      pause: await this.pauseStatus(),
      budget: await this.budget(),
      breakers: breakers.sort((a, b) => a.accountId.localeCompare(b.accountId)),
    };
  }

  private view(b: BreakerRecord): BreakerView {
    const halfOpenAt =
      b.state === "open" && b.openedAt !== undefined ? b.openedAt + this.opts.breakerCooldownMs : undefined;
    const state: BreakerState =
      b.state === "open" && halfOpenAt !== undefined && this.clock.now() >= halfOpenAt ? "half-open" : b.state;
    return {
      accountId: b.accountId,
      state,
      consecutiveFailures: b.consecutiveFailures,
      openedAt: b.openedAt,
      halfOpenAt,
      lastError: b.lastError,
    };
  }

  private day(): string {
    return new Date(this.clock.now()).toISOString().slice(0, 10);
  }

  private async record(actor: string, action: string, subject?: string, detail?: Record<string, unknown>) {
    await this.audit.record({ at: this.clock.now(), actor, action, subject, detail });
  }
}

/** The controls as the status command and the Slack home tab report them. */
export function controlStatus(service: ControlService): Promise<ControlStatus> {
  return service.status();
}

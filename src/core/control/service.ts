/**
 * The operator's controls over switching: a global pause, a mode override (shadow / approve, set from Slack),
 * a circuit breaker per account (N consecutive failed switches open it; half-open after a cool-down, where the
 * next success closes it and the next failure opens it again) and a daily switch budget. All persisted,
 * every change audited, all reported by `status()`.
 */
import { CodedError } from "../errors.js";
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { EpochMs, Mode } from "../types.js";
import { type ChannelHealth, type ChecklistItem, checklistLines } from "./checklist.js";
import type { BreakerRecord, BreakerState, ControlStore } from "./store.js";

export interface ControlOptions {
  /**
   * The configured mode (SPOTWISE_MODE). "shadow" is a ceiling: no override lifts it. Under "approve" an
   * override set from Slack (shadow, or approve again once the safety checklist is green) wins.
   */
  defaultMode: Mode;
  breakerThreshold: number;
  breakerCooldownMs: number;
  dailyBudget: number;
  /** The safety checklist; when given, turning approve on needs every item green. */
  checklist?: () => Promise<ChecklistItem[]>;
}

/** A global change, for announcements in the channel (with who did it). */
export type ControlEvent =
  | { kind: "paused"; actor: string; reason?: string }
  | { kind: "resumed"; actor: string }
  | { kind: "mode"; actor: string; mode: Mode }
  | { kind: "breaker_opened"; accountId: string; failures: number; error: string }
  | { kind: "breaker_reset"; actor: string; accountId: string };

export type ControlListener = (e: ControlEvent) => Promise<void> | void;

export interface PauseStatus {
  paused: boolean;
  by?: string;
  reason?: string;
  since?: EpochMs;
}

export interface SwitchingState {
  mode: Mode;
  paused: boolean;
  pausedBy?: string;
  pausedReason?: string;
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
const CHANNEL_KEY = "slack:announcements";
const MODE_KEY = "mode";

export class ControlService {
  private readonly listeners: ControlListener[] = [];

  constructor(
    private readonly store: ControlStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly opts: ControlOptions,
  ) {}

  /** Called after every global change (announcements); a listener failing never undoes the change. */
  subscribe(listener: ControlListener): void {
    this.listeners.push(listener);
  }

  async pause(actor: string, reason?: string): Promise<void> {
    await this.store.putSetting(PAUSE_KEY, { paused: true, reason: reason ?? null }, actor, this.clock.now());
    await this.record(actor, "control.paused", undefined, { reason });
    await this.emit({ kind: "paused", actor, reason });
  }

  async resume(actor: string): Promise<void> {
    await this.store.putSetting(PAUSE_KEY, { paused: false, reason: null }, actor, this.clock.now());
    await this.record(actor, "control.resumed");
    await this.emit({ kind: "resumed", actor });
  }

  /** Records whether the channel got the last announcement (the checklist's "channel receiving"). */
  async recordChannelHealth(h: { ok: boolean; error?: string }): Promise<void> {
    await this.store.putSetting(CHANNEL_KEY, { ok: h.ok, error: h.error ?? null }, "spotwise", this.clock.now());
  }

  async channelHealth(): Promise<ChannelHealth | null> {
    const s = await this.store.getSetting(CHANNEL_KEY);
    if (!s) return null;
    const v = s.value as { ok?: boolean; error?: string | null };
    return { ok: v.ok === true, at: s.updatedAt, error: v.error ?? undefined };
  }

  /** The safety checklist (all green when none is configured). */
  async checklist(): Promise<ChecklistItem[]> {
    return (await this.opts.checklist?.()) ?? [];
  }

  /** Whether switching may start, in the words its messages need: mode, and who paused it and why. */
  async switchingState(): Promise<SwitchingState> {
    const [pause, mode] = await Promise.all([this.pauseStatus(), this.mode()]);
    return { paused: pause.paused, pausedReason: pause.reason, pausedBy: pause.by, mode: mode.mode };
  }

  async pauseStatus(): Promise<PauseStatus> {
    const s = await this.store.getSetting(PAUSE_KEY);
    const v = (s?.value ?? {}) as { paused?: boolean; reason?: string | null };
    if (!s || !v.paused) return { paused: false };
    return { paused: true, by: s.updatedBy, since: s.updatedAt, reason: v.reason ?? undefined };
  }

  /**
   * Sets the mode override; `null` clears it back to the configured mode. Approve is refused (CodedError
   * forbidden, saying what is missing) under SPOTWISE_MODE=shadow and while the safety checklist is not green.
   */
  async setMode(mode: Mode | null, actor: string): Promise<void> {
    if (mode === "approve" && this.opts.defaultMode === "shadow") {
      throw new CodedError(
        "forbidden",
        "the operator runs spotwise with SPOTWISE_MODE=shadow, a ceiling no Slack command lifts: set SPOTWISE_MODE=approve and restart to allow switching",
      );
    }
    if (mode === "approve") {
      const missing = (await this.checklist()).filter((c) => !c.ok);
      if (missing.length > 0) {
        throw new CodedError(
          "forbidden",
          `approve mode needs the safety checklist green; missing:\n${checklistLines(missing).join("\n")}`,
          { missing: missing.map((m) => m.key) },
        );
      }
    }
    if (mode === null) await this.store.deleteSetting(MODE_KEY);
    else await this.store.putSetting(MODE_KEY, mode, actor, this.clock.now());
    await this.record(actor, "control.mode_set", undefined, { mode: mode ?? `config:${this.opts.defaultMode}` });
    await this.emit({ kind: "mode", actor, mode: (await this.mode()).mode });
  }

  async mode(): Promise<{ mode: Mode; source: "config" | "override"; setBy?: string }> {
    // SPOTWISE_MODE=shadow is a ceiling: an override (even one stored before the operator lowered it) never lifts it
    if (this.opts.defaultMode === "shadow") return { mode: "shadow", source: "config" };
    const s = await this.store.getSetting(MODE_KEY);
    if (s && (s.value === "shadow" || s.value === "approve")) {
      return { mode: s.value, source: "override", setBy: s.updatedBy };
    }
    return { mode: this.opts.defaultMode, source: "config" };
  }

  /** The daily budget (switch.dailyBudget). */
  get dailyBudget(): number {
    return this.opts.dailyBudget;
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
        reason:
          source === "config"
            ? "spotwise is in shadow mode (SPOTWISE_MODE=shadow): it recommends but never switches; an operator sets SPOTWISE_MODE=approve and restarts, then an admin runs `/spot mode approve`"
            : "spotwise is in shadow mode: it recommends but never switches; an admin turns switching on with `/spot mode approve`",
      };
    }
    const pause = await this.pauseStatus();
    if (pause.paused) {
      return {
        ok: false,
        code: "paused",
        reason: `switching is paused by ${pause.by ?? "someone"}${pause.reason ? ` (${pause.reason})` : ""}; an admin resumes it with \`/spot resume\``,
      };
    }
    const b = await this.breaker(accountId);
    if (b.state === "open") {
      return {
        ok: false,
        code: "circuit_open",
        reason: `the circuit breaker of account ${accountId} is open after ${b.consecutiveFailures} failed switches (last: ${b.lastError ?? "unknown"}); it half-opens at ${new Date(b.halfOpenAt ?? 0).toISOString().slice(0, 16).replace("T", " ")} UTC, or an admin resets it after fixing the cause with \`/spot breaker reset ${accountId}\``,
      };
    }
    return { ok: true };
  }

  /** gate() plus today's budget: what a click on Approve is checked against before anything is spent. */
  async canApprove(accountId: string): Promise<{ ok: true } | { ok: false; code: string; reason: string }> {
    const g = await this.gate(accountId);
    if (!g.ok) return g;
    const b = await this.budget();
    if (b.used >= b.limit) {
      return {
        ok: false,
        code: "budget_exhausted",
        reason: `today's switch budget is used up (${b.used} of ${b.limit}); it resets at 00:00 UTC, or an operator raises switch.dailyBudget in the SPOTWISE_CONFIG file`,
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
    if (opens) {
      await this.record("daemon", "control.breaker_opened", accountId, { failures, error });
      await this.emit({ kind: "breaker_opened", accountId, failures, error });
    }
    return this.view(next);
  }

  async resetBreaker(accountId: string, actor: string): Promise<void> {
    await this.store.putBreaker({ accountId, state: "closed", consecutiveFailures: 0, updatedAt: this.clock.now() });
    await this.record(actor, "control.breaker_reset", accountId);
    await this.emit({ kind: "breaker_reset", actor, accountId });
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

  private async emit(e: ControlEvent): Promise<void> {
    for (const l of this.listeners) {
      try {
        await l(e);
      } catch {
        // an announcement that fails must not undo or fail the change itself (the announcer logs it)
      }
    }
  }

  private async record(actor: string, action: string, subject?: string, detail?: Record<string, unknown>) {
    await this.audit.record({ at: this.clock.now(), actor, action, subject, detail });
  }
}

/** The controls as the status command and the Slack home tab report them. */
export function controlStatus(service: ControlService): Promise<ControlStatus> {
  return service.status();
}

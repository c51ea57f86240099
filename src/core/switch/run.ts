/**
 * One saga being driven by this process: the current record, persistence with optimistic versions,
 * step recording (database row + audit event + progress callback) and retries of transient AWS errors.
 */
import { asCodedError, CodedError, isCodedError } from "../errors.js";
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { Ec2Port } from "../ports/ec2.js";
import type { LeaseStore } from "../ports/kv.js";
import type {
  HealthChecker,
  Phase,
  ProgressFn,
  SagaPatch,
  SagaRecord,
  SagaState,
  SagaStore,
  StepName,
  SwitchSettings,
  TargetGroupPort,
} from "./types.js";

export interface RunDeps {
  store: SagaStore;
  audit: AuditLog;
  clock: Clock;
  leases: LeaseStore;
  settings: SwitchSettings;
  health?: HealthChecker;
  /** This runner (process) in lease owners: two runners never hold one saga's lease at once. */
  ownerId: string;
  /** Jitter source for retry backoff (Math.random in production). */
  random?: () => number;
}

/** The lease owner of `sagaId` when driven by runner `ownerId`. */
export function leaseOwner(ownerId: string, sagaId: string): string {
  return `${sagaId}@${ownerId}`;
}

/** The saga id in a lease owner written by `leaseOwner` (a bare id from before owners named their runner). */
export function sagaIdOfOwner(owner: string): string {
  const at = owner.indexOf("@");
  return at < 0 ? owner : owner.slice(0, at);
}

export function leaseKey(accountId: string, instanceId: string): string {
  return `switch:${accountId}:${instanceId}`;
}

/** Thrown when another process took the saga over (version conflict, lease lost): stop driving it, touch nothing. */
export class SagaLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SagaLost";
  }
}

/**
 * Transient call errors worth retrying: throttling, AWS 5xx (`unavailable`) and call timeouts (a lost response
 * is a timeout too). The calls spotwise makes are idempotent (client tokens, tags, reassociation), so a retry
 * after a lost response finds what the first call did.
 */
export function transient(e: unknown): boolean {
  return isCodedError(e, "aws_throttled") || isCodedError(e, "deadline_exceeded") || isCodedError(e, "unavailable");
}

export interface RetryOptions {
  /** No retry starts after this time (the phase's deadline): the last error is thrown instead. */
  deadline?: number;
  /** In [0, 1): jitter; Math.random by default. */
  random?: () => number;
}

/**
 * Retries transient errors `max` times with exponential backoff and "equal jitter" (half fixed, half random,
 * so replicas throttled together do not retry together) on `clock`, never past `deadline`.
 */
export async function withRetries<T>(
  clock: Clock,
  max: number,
  fn: () => Promise<T>,
  opts: RetryOptions = {},
): Promise<T> {
  const random = opts.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!transient(e) || attempt >= max) throw e;
      const cap = Math.min(1000 * 2 ** attempt, 30_000);
      const wait = Math.round(cap / 2 + (cap / 2) * random());
      if (opts.deadline !== undefined && clock.now() + wait > opts.deadline) throw e;
      await clock.sleep(wait);
    }
  }
}

export class SagaRun {
  constructor(
    public saga: SagaRecord,
    readonly ec2: Ec2Port,
    readonly tg: TargetGroupPort | undefined,
    readonly deps: RunDeps,
    private readonly progress: ProgressFn,
  ) {}

  get healthChecker(): HealthChecker | undefined {
    return this.deps.health;
  }

  get id(): string {
    return this.saga.id;
  }

  now(): number {
    return this.deps.clock.now();
  }

  /** Persists a change; renews the lease so a long saga keeps it. */
  async save(patch: SagaPatch): Promise<void> {
    try {
      this.saga = await this.deps.store.update(this.saga.id, this.saga.version, patch);
    } catch (e) {
      if (isCodedError(e, "conflict")) throw new SagaLost(e.message);
      throw e;
    }
    if (this.saga.active) await this.keepLease();
  }

  get leaseOwner(): string {
    return leaseOwner(this.deps.ownerId, this.saga.id);
  }

  /** Renews the per-instance lease (after every save and every poll); SagaLost when another owner took it. */
  async keepLease(): Promise<void> {
    const key = leaseKey(this.saga.accountId, this.saga.instanceId);
    const owner = this.leaseOwner;
    const ok = await this.deps.leases.renew(key, owner, this.deps.settings.leaseTtlMs);
    if (!ok && !(await this.deps.leases.acquire(key, owner, this.deps.settings.leaseTtlMs))) {
      throw new SagaLost(`lease ${key} is held by ${await this.deps.leases.holder(key)}`);
    }
  }

  async enter(state: SagaState): Promise<void> {
    await this.startClock(state, { state });
  }

  /** Starts the deadline clock of `phase` once (a resumed saga keeps its original deadline). */
  async startClock(phase: Phase, patch: SagaPatch = {}): Promise<void> {
    const phaseStartedAt = { ...this.saga.context.phaseStartedAt };
    if (phaseStartedAt[phase] !== undefined && patch.state === undefined) return;
    if (phaseStartedAt[phase] === undefined) phaseStartedAt[phase] = this.now();
    await this.save({ ...patch, context: { ...this.saga.context, phaseStartedAt } });
  }

  /** Milliseconds left before the deadline of the current phase. */
  remaining(state: Phase, deadlineMs: number): number {
    // a phase without a recorded start counts from the saga's start: a deadline is never endless
    const started = this.saga.context.phaseStartedAt[state] ?? this.saga.startedAt;
    return started + deadlineMs - this.now();
  }

  async notify(step: StepName, status: "started" | "ok" | "failed" | "skipped" | "info", text: string) {
    try {
      await this.progress(step, status, text);
    } catch {
      // a failing progress sink (Slack down) must never break a switch; the audit trail has it all
    }
  }

  async audit(action: string, detail: Record<string, unknown> = {}, actor = `saga:${this.saga.id}`) {
    await this.deps.audit.record({
      at: this.now(),
      actor,
      action,
      subject: this.saga.instanceId,
      detail: { sagaId: this.saga.id, accountId: this.saga.accountId, region: this.saga.region, ...detail },
    });
  }

  /**
   * Runs one step: a switch_step row (started → ok/failed/skipped with the AWS request id), an audit event
   * and progress messages. `fn` returns what to record.
   */
  async step<T>(
    name: StepName,
    text: string,
    fn: () => Promise<{ value: T; requestId?: string; detail?: Record<string, unknown>; skipped?: boolean }>,
  ): Promise<T> {
    const startedAt = this.now();
    const rowId = await this.deps.store.addStep({
      executionId: this.saga.id,
      step: name,
      status: "started",
      startedAt,
      detail: {},
    });
    await this.notify(name, "started", text);
    try {
      const r = await fn();
      const status = r.skipped ? "skipped" : "ok";
      await this.deps.store.finishStep(rowId, status, this.now(), r.requestId, r.detail);
      await this.audit("switch.step", { step: name, status, requestId: r.requestId, ...(r.detail ?? {}) });
      await this.notify(name, status, `${text}: ${status}${r.detail?.summary ? ` (${r.detail.summary})` : ""}`);
      return r.value;
    } catch (e) {
      if (e instanceof SagaLost) throw e;
      const err = asCodedError(e);
      const requestId = typeof err.detail?.requestId === "string" ? err.detail.requestId : undefined;
      await this.deps.store.finishStep(rowId, "failed", this.now(), requestId, { error: err.message, code: err.code });
      await this.audit("switch.step", { step: name, status: "failed", code: err.code, error: err.message, requestId });
      await this.notify(name, "failed", `${text}: failed: ${err.message}`);
      throw err;
    }
  }

  /**
   * Calls AWS, retrying throttling, 5xx and call timeouts with jittered exponential backoff on the injected
   * clock, within the deadline of the phase the saga is in.
   */
  call<T>(fn: () => Promise<T>): Promise<T> {
    return withRetries(this.deps.clock, this.deps.settings.maxCallRetries, fn, {
      deadline: this.phaseDeadline(),
      random: this.deps.random,
    });
  }

  /** When the current phase's deadline passes (undefined for phases without one). */
  phaseDeadline(): number | undefined {
    const s = this.deps.settings;
    const ms: Partial<Record<SagaState, number>> = {
      imaging: s.imageDeadlineMs,
      launching: s.launchDeadlineMs,
      verifying: s.launchDeadlineMs + s.healthDeadlineMs,
      moving_volumes: s.launchDeadlineMs,
    };
    const d = ms[this.saga.state];
    return d === undefined ? undefined : this.now() + Math.max(0, this.remaining(this.saga.state, d));
  }

  /** Polls `probe` until it returns a value, or throws deadline_exceeded when the phase's deadline passes. */
  async waitFor<T>(phase: Phase, deadlineMs: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (;;) {
      const v = await this.call(probe);
      if (v !== undefined) return v;
      if (this.remaining(phase, deadlineMs) <= 0) {
        throw new CodedError(
          "deadline_exceeded",
          `${what} did not happen within ${Math.round(deadlineMs / 60_000)} min; raise switch.${phaseDeadlineKey(phase)} if this instance needs longer`,
        );
      }
      await this.deps.clock.sleep(
        Math.min(this.deps.settings.pollIntervalMs, Math.max(1, this.remaining(phase, deadlineMs))),
      );
      await this.keepLease();
    }
  }
}

function phaseDeadlineKey(phase: Phase): string {
  if (phase === "imaging") return "imageDeadlineMinutes";
  if (phase === "launching" || phase === "verifying" || phase === "moving_volumes") return "launchDeadlineMinutes";
  return "healthDeadlineMinutes";
}

/**
 * The switch saga runner: starts a guarded make-before-break switch from an approval, resumes sagas that were
 * in flight when the process stopped, and cleans up images after their retention period.
 *
 *   const runner = new SwitchSagaRunner({ store, control, leases, ec2, audit, clock, settings, newId });
 *   const outcome = await runner.start(request, (step, status, text) => slack.progress(ref, text));
 *   await runner.resumeAll();            // on start of the daemon and from the reconcile job
 *   await runner.cleanupImages();        // from the cleanup job
 *
 * Never zero, never two: the replacement is described again before the identity moves and before the old
 * instance is terminated; a failed terminate after a verified cutover is retried, never rolled back; a rollback
 * that cannot finish leaves the saga `needs_attention` and tells the channel what runs and what to do.
 */

import type { ControlService } from "../control/service.js";
import { asCodedError, CodedError } from "../errors.js";
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { Ec2Factory, Ec2Port } from "../ports/ec2.js";
import type { LeaseStore } from "../ports/kv.js";
import type { Notifier } from "../ports/notifier.js";
import { cleanupImages } from "./cleanup.js";
import { type PreflightResult, preflight, stopBeforeLaunch } from "./guards.js";
import { finish, finishRollback, inFlight, needsAttention, releaseLease, terminateFailed } from "./outcome.js";
import { rollback } from "./rollback.js";
import { leaseKey, leaseOwner, type RunDeps, SagaLost, SagaRun, sagaIdOfOwner } from "./run.js";
import {
  carryIdentity,
  createImage,
  isReplacementLost,
  launchReplacement,
  terminateOld,
  verifyReplacement,
} from "./steps.js";
import type {
  HealthChecker,
  ProgressFn,
  SagaOutcome,
  SagaRecord,
  SagaStore,
  SwitchRequest,
  SwitchSettings,
  TargetGroupFactory,
} from "./types.js";
import { moveVolumes, rollForwardVolumes, verifyVolumesOn } from "./volumes.js";

export interface SagaRunnerDeps {
  store: SagaStore;
  control: ControlService;
  leases: LeaseStore;
  ec2: Ec2Factory;
  audit: AuditLog;
  clock: Clock;
  settings: SwitchSettings;
  /** New saga ids (uuid v4): crypto.randomUUID in production. */
  newId: () => string;
  targetGroups?: TargetGroupFactory;
  health?: HealthChecker;
  /** Where a saga that needs a person is announced (the channel); best effort. */
  notifier?: Pick<Notifier, "alert">;
  /** This process in lease owners (the replica id); a fresh id per runner by default. */
  ownerId?: string;
  /** Jitter of retry backoff (Math.random by default). */
  random?: () => number;
}

const noProgress: ProgressFn = () => {};

export class SwitchSagaRunner {
  private readonly runDeps: RunDeps & SagaRunnerDeps;
  /** Sagas this runner is driving right now: the reconcile job never drives one twice in one process. */
  private readonly driving = new Set<string>();

  constructor(private readonly deps: SagaRunnerDeps) {
    this.runDeps = { ...deps, ownerId: deps.ownerId ?? deps.newId() };
  }

  private owner(sagaId: string): string {
    return leaseOwner(this.runDeps.ownerId, sagaId);
  }

  /** True while this runner drives `sagaId`. */
  isDriving(sagaId: string): boolean {
    return this.driving.has(sagaId);
  }

  /**
   * Evaluates every guard and describes the steps, without changing anything (`--dry-run`). `advice`: the plan
   * a recommendation shows, in any mode and before approval (mode, pause, breaker, approval and budget unchecked).
   */
  async plan(req: SwitchRequest, opts: { advice?: boolean } = {}): Promise<PreflightResult> {
    const ec2 = await this.deps.ec2.forAccount(req.accountId, req.region, "spotwise-plan");
    return preflight(req, ec2, await this.targetGroupPort(req.accountId, req.region, "spotwise-plan"), this.deps, opts);
  }

  /**
   * Runs one approved switch to its end: done, rolled back, or refused by a guard. A second call for the same
   * recommendation (double click, retry) or the same instance returns `duplicate` and launches nothing.
   */
  async start(req: SwitchRequest, onProgress: ProgressFn = noProgress): Promise<SagaOutcome> {
    const recId = req.approval?.recommendationId;
    if (recId) {
      const existing = await this.deps.store.findByRecommendation(recId);
      if (existing) return duplicateOf(existing);
    }
    const id = this.deps.newId();
    const sessionName = `spotwise-${id}`;
    const refuse = async (code: string, reason: string): Promise<SagaOutcome> => {
      await this.deps.audit.record({
        at: this.deps.clock.now(),
        actor: req.requestedBy,
        action: "switch.refused",
        subject: req.instanceId,
        detail: { code, reason, accountId: req.accountId, recommendationId: recId },
      });
      await safe(onProgress, "preflight", "failed", `Switch refused: ${reason}`);
      return { state: "refused", instanceId: req.instanceId, code, reason };
    };
    let ec2: Ec2Port;
    let pre: PreflightResult;
    try {
      ec2 = await this.deps.ec2.forAccount(req.accountId, req.region, sessionName);
      const tg = await this.targetGroupPort(req.accountId, req.region, sessionName);
      pre = await preflight(req, ec2, tg, this.deps);
    } catch (e) {
      const err = asCodedError(e);
      return refuse(err.code, err.message);
    }
    if (!pre.ok) return refuse(pre.code, pre.reason);

    const key = leaseKey(req.accountId, req.instanceId);
    if (!(await this.deps.leases.acquire(key, this.owner(id), this.deps.settings.leaseTtlMs))) {
      const holder = await this.deps.leases.holder(key);
      return {
        state: "duplicate",
        instanceId: req.instanceId,
        sagaId: holder ? sagaIdOfOwner(holder) : undefined,
        code: "lease_held",
        reason: `instance ${req.instanceId} is already being switched (lease held by ${holder})`,
      };
    }
    let saga: SagaRecord;
    try {
      saga = await this.deps.store.create({
        id,
        recommendationId: recId,
        instanceId: req.instanceId,
        accountId: req.accountId,
        region: req.region,
        state: "imaging",
        active: true,
        fromPool: pre.fromPool,
        targets: pre.targets,
        targetIndex: 0,
        context: { ...pre.context, phaseStartedAt: { imaging: this.deps.clock.now() } },
        requestedBy: req.requestedBy,
        startedAt: this.deps.clock.now(),
      });
    } catch (e) {
      await this.deps.leases.release(key, this.owner(id));
      const existing = recId
        ? await this.deps.store.findByRecommendation(recId)
        : await this.deps.store.findActiveByInstance(req.instanceId);
      if (existing) return duplicateOf(existing);
      throw e;
    }
    const run = new SagaRun(saga, ec2, pre.tg, this.runDeps, onProgress);
    const budget = await this.deps.control.consumeBudget(req.requestedBy);
    if (!budget.ok) {
      const reason = `daily switch budget of ${budget.limit} is used up; it resets at 00:00 UTC (raise switch.dailyBudget to allow more)`;
      await run.save({ state: "refused", active: false, error: reason, finishedAt: this.deps.clock.now() });
      await this.deps.leases.release(key, this.owner(id));
      return refuse("budget_exhausted", reason).then((o) => ({ ...o, sagaId: id }));
    }
    await run.audit(
      "switch.started",
      { from: pre.fromPool, targets: pre.targets, approval: req.approval, budgetUsed: budget.used },
      req.requestedBy,
    );
    await run.notify("preflight", "ok", `Switch ${id.slice(0, 8)} started: ${pre.summary}`);
    return this.drive(run);
  }

  /**
   * Resumes (or finishes rolling back) every saga that is in flight and not driven by this runner: on start and
   * from the reconcile job. `includeAttention` also retries sagas left in needs_attention (`spotwise resume`).
   * One saga that cannot be resumed now never blocks the others.
   */
  async resumeAll(
    onProgress: (saga: SagaRecord) => ProgressFn = () => noProgress,
    opts: { includeAttention?: boolean } = {},
  ): Promise<SagaOutcome[]> {
    const out: SagaOutcome[] = [];
    const sagas = await this.deps.store.listActive();
    if (opts.includeAttention) sagas.push(...(await this.deps.store.listNeedsAttention()));
    for (const saga of sagas) {
      if (this.driving.has(saga.id)) continue;
      try {
        out.push(await this.resume(saga.id, onProgress(saga), { reopen: opts.includeAttention }));
      } catch (e) {
        // one saga that cannot be resumed now (account removed, credentials broken) must not block the others
        const err = asCodedError(e);
        await this.deps.audit.record({
          at: this.deps.clock.now(),
          actor: "daemon",
          action: "switch.resume_failed",
          subject: saga.instanceId,
          detail: { sagaId: saga.id, state: saga.state, code: err.code, error: err.message },
        });
        out.push({
          state: "in_flight",
          sagaId: saga.id,
          instanceId: saga.instanceId,
          code: err.code,
          reason: err.message,
        });
      }
    }
    return out;
  }

  /**
   * Drives one saga from its persisted state and real EC2 state to a final state. A saga in needs_attention
   * is retried (from the state it stopped in) only with `reopen`: a person fixed something and asked for it.
   */
  async resume(
    sagaId: string,
    onProgress: ProgressFn = noProgress,
    opts: { reopen?: boolean } = {},
  ): Promise<SagaOutcome> {
    let saga = await this.deps.store.get(sagaId);
    if (!saga) throw new CodedError("not_found", `switch ${sagaId} does not exist`);
    if (this.driving.has(saga.id)) return inFlight(saga, "lease_held", `switch ${saga.id} is being driven right now`);
    if (!saga.active && !(opts.reopen && saga.state === "needs_attention")) return finishedOutcome(saga);
    const key = leaseKey(saga.accountId, saga.instanceId);
    if (!(await this.deps.leases.acquire(key, this.owner(saga.id), this.deps.settings.leaseTtlMs))) {
      const holder = await this.deps.leases.holder(key);
      return inFlight(
        saga,
        "lease_held",
        `another spotwise process is working on ${saga.instanceId} (lease ${key} held by ${holder}); if that process is dead, the lease expires within ${Math.ceil(this.deps.settings.leaseTtlMs / 60_000)} min`,
      );
    }
    if (!saga.active) {
      const from = saga.context.attention?.from ?? "rolling_back";
      try {
        saga = await this.deps.store.update(saga.id, saga.version, {
          state: from,
          active: true,
          finishedAt: undefined,
          context: { ...saga.context, terminateAttempts: 0 },
        });
      } catch (e) {
        await this.deps.leases.release(key, this.owner(saga.id));
        throw e;
      }
    }
    const sessionName = `spotwise-${saga.id}`;
    let ec2: Ec2Port;
    let tg: Awaited<ReturnType<SwitchSagaRunner["targetGroupPort"]>>;
    try {
      ec2 = await this.deps.ec2.forAccount(saga.accountId, saga.region, sessionName);
      tg = await this.targetGroupPort(saga.accountId, saga.region, sessionName);
    } catch (e) {
      await this.deps.leases.release(key, this.owner(saga.id));
      throw e;
    }
    const run = new SagaRun(saga, ec2, tg, this.runDeps, onProgress);
    await run.audit("switch.resumed", { state: saga.state });
    for (const step of await this.deps.store.steps(saga.id)) {
      if (step.status !== "started" || step.id === undefined) continue;
      const error = "interrupted: the process stopped during this step; resumed from real EC2 state";
      await this.deps.store.finishStep(step.id, "failed", this.deps.clock.now(), undefined, { error });
      await run.audit("switch.step", { step: step.step, status: "failed", error, interrupted: true });
    }
    await run.notify("preflight", "info", `Resuming switch ${saga.id.slice(0, 8)} from ${saga.state}`);
    return this.drive(run, await stopBeforeLaunch(this.deps, saga));
  }

  /** Deregisters images (and deletes their snapshots) of finished switches older than the retention period. */
  cleanupImages(): Promise<{ images: number; snapshots: number; failed: number }> {
    return cleanupImages(this.deps);
  }

  private async targetGroupPort(accountId: string, region: string, sessionName: string) {
    return this.deps.targetGroups?.forAccount(accountId, region, sessionName);
  }

  /** Drives the saga from its persisted state to a final one (or leaves it in flight for the reconcile job). */
  private async drive(run: SagaRun, stop?: CodedError): Promise<SagaOutcome> {
    this.driving.add(run.id);
    try {
      return await this.driveOnce(run, stop);
    } catch (e) {
      if (e instanceof SagaLost) return inFlight(run.saga, "conflict", e.message);
      // the outcome could not even be recorded (database down): the saga stays in flight and is resumed later
      const err = asCodedError(e);
      await this.releaseLease(run);
      return inFlight(run.saga, err.code, `${err.message}; the reconcile job resumes it`);
    } finally {
      this.driving.delete(run.id);
    }
  }

  private async driveOnce(run: SagaRun, stop?: CodedError): Promise<SagaOutcome> {
    try {
      if (stop) throw stop;
      await this.forward(run);
      return await this.finish(run);
    } catch (e) {
      if (e instanceof SagaLost) throw e;
      const err = asCodedError(e);
      // after a verified cutover the replacement carries the identity: finish the terminate, never undo it
      if (run.saga.state === "terminating_old" && !isReplacementLost(err)) return this.terminateFailed(run, err);
      const reason =
        err.code === "aws_throttled"
          ? `${err.message.replace(/; will back off and retry$/, "")}; still throttled after ${this.deps.settings.maxCallRetries} retries`
          : err.message;
      try {
        const result = await rollback(run, reason, err.code);
        if (result.kind === "needs_attention") return await this.needsAttention(run, result.reason, result.code);
        if (result.kind === "rolled_forward") {
          await rollForwardVolumes(run);
          await carryIdentity(run);
          return await this.finish(run);
        }
        return await this.finishRollback(run);
      } catch (re) {
        if (re instanceof SagaLost) throw re;
        const rerr = asCodedError(re);
        return this.needsAttention(run, `the rollback could not finish: ${rerr.message}`, rerr.code);
      }
    }
  }

  private async forward(run: SagaRun): Promise<void> {
    if (run.saga.state === "rolling_back") {
      throw new CodedError("internal", run.saga.context.rollbackReason ?? "rollback in progress");
    }
    if (run.saga.state === "imaging") await createImage(run);
    if (run.saga.state === "launching") await launchReplacement(run);
    if (run.saga.state === "verifying") await verifyReplacement(run);
    if (run.saga.state === "moving_volumes") await moveVolumes(run);
    if (run.saga.state === "cutover") await carryIdentity(run);
    if (run.saga.state === "terminating_old") {
      // look at the data volumes again: the old instance goes only when the replacement has them
      await verifyVolumesOn(run, run.saga.newInstanceId as string);
      await terminateOld(run);
    }
  }

  private releaseLease(run: SagaRun): Promise<void> {
    return releaseLease(this.deps, run);
  }

  private finish(run: SagaRun): Promise<SagaOutcome> {
    return finish(this.deps, run);
  }

  private finishRollback(run: SagaRun): Promise<SagaOutcome> {
    return finishRollback(this.deps, run);
  }

  private needsAttention(run: SagaRun, reason: string, code: string): Promise<SagaOutcome> {
    return needsAttention(this.deps, run, reason, code);
  }

  private terminateFailed(run: SagaRun, err: CodedError): Promise<SagaOutcome> {
    return terminateFailed(this.deps, run, err);
  }
}

/** A saga that already ended: its own outcome (done, rolled back), else `duplicate` naming its state. */
function finishedOutcome(s: SagaRecord): SagaOutcome {
  if (s.state === "done")
    return { state: "done", sagaId: s.id, instanceId: s.instanceId, newInstanceId: s.newInstanceId };
  if (s.state === "rolled_back") {
    return {
      state: "rolled_back",
      sagaId: s.id,
      instanceId: s.instanceId,
      code: s.context.rollbackCode,
      reason: s.error,
    };
  }
  return duplicateOf(s);
}

function duplicateOf(s: SagaRecord): SagaOutcome {
  return {
    state: "duplicate",
    sagaId: s.id,
    instanceId: s.instanceId,
    newInstanceId: s.newInstanceId,
    code: "conflict",
    reason: `this switch already ran or is running (saga ${s.id}, ${s.state})`,
  };
}

async function safe(fn: ProgressFn, ...args: Parameters<ProgressFn>): Promise<void> {
  try {
    await fn(...args);
  } catch {
    // progress is best effort
  }
}

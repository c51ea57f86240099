/**
 * The switch saga runner: starts a guarded make-before-break switch from an approval, resumes sagas that were
 * in flight when the process stopped, and cleans up images after their retention period.
 *
 *   const runner = new SwitchSagaRunner({ store, control, leases, ec2, audit, clock, settings, newId });
 *   const outcome = await runner.start(request, (step, status, text) => slack.progress(ref, text));
 *   await runner.resumeAll();            // on start of the daemon
 *   await runner.cleanupImages();        // from the cleanup job
 */

import type { ControlService } from "../control/service.js";
import { asCodedError, CodedError, errorMessage } from "../errors.js";
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { Ec2Factory, Ec2Port } from "../ports/ec2.js";
import type { LeaseStore } from "../ports/kv.js";
import { type PreflightResult, preflight } from "./guards.js";
import { rollback } from "./rollback.js";
import { leaseKey, SagaLost, SagaRun } from "./run.js";
import { carryIdentity, createImage, launchReplacement, terminateOld, verifyReplacement } from "./steps.js";
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
}

const noProgress: ProgressFn = () => {};

export class SwitchSagaRunner {
  constructor(private readonly deps: SagaRunnerDeps) {}

  /** Evaluates every guard and describes the steps, without changing anything (`--dry-run`). */
  async plan(req: SwitchRequest): Promise<PreflightResult> {
    const ec2 = await this.deps.ec2.forAccount(req.accountId, req.region, "spotwise-plan");
    return preflight(req, ec2, await this.targetGroupPort(req.accountId, req.region, "spotwise-plan"), this.deps);
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
    if (!(await this.deps.leases.acquire(key, id, this.deps.settings.leaseTtlMs))) {
      const holder = await this.deps.leases.holder(key);
      return {
        state: "duplicate",
        instanceId: req.instanceId,
        sagaId: holder ?? undefined,
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
      await this.deps.leases.release(key, id);
      const existing = recId
        ? await this.deps.store.findByRecommendation(recId)
        : await this.deps.store.findActiveByInstance(req.instanceId);
      if (existing) return duplicateOf(existing);
      throw e;
    }
    const run = new SagaRun(saga, ec2, pre.tg, this.deps, onProgress);
    const budget = await this.deps.control.consumeBudget(req.requestedBy);
    if (!budget.ok) {
      const reason = `daily switch budget of ${budget.limit} is used up; it resets at 00:00 UTC (raise switch.dailyBudget to allow more)`;
      await run.save({ state: "refused", active: false, error: reason, finishedAt: this.deps.clock.now() });
      await this.deps.leases.release(key, id);
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

  /** Resumes (or finishes rolling back) every saga that was in flight; call once on start. */
  async resumeAll(onProgress: (saga: SagaRecord) => ProgressFn = () => noProgress): Promise<SagaOutcome[]> {
    const out: SagaOutcome[] = [];
    for (const saga of await this.deps.store.listActive()) {
      try {
        out.push(await this.resume(saga.id, onProgress(saga)));
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

  async resume(sagaId: string, onProgress: ProgressFn = noProgress): Promise<SagaOutcome> {
    const saga = await this.deps.store.get(sagaId);
    if (!saga) throw new CodedError("not_found", `switch ${sagaId} does not exist`);
    if (!saga.active) return duplicateOf(saga);
    const key = leaseKey(saga.accountId, saga.instanceId);
    if (!(await this.deps.leases.acquire(key, saga.id, this.deps.settings.leaseTtlMs))) {
      return {
        state: "in_flight",
        sagaId,
        instanceId: saga.instanceId,
        code: "lease_held",
        reason: `lease ${key} is held by ${await this.deps.leases.holder(key)}`,
      };
    }
    const sessionName = `spotwise-${saga.id}`;
    const ec2 = await this.deps.ec2.forAccount(saga.accountId, saga.region, sessionName);
    const tg = await this.targetGroupPort(saga.accountId, saga.region, sessionName);
    const run = new SagaRun(saga, ec2, tg, this.deps, onProgress);
    await run.audit("switch.resumed", { state: saga.state });
    for (const step of await this.deps.store.steps(saga.id)) {
      if (step.status !== "started" || step.id === undefined) continue;
      const error = "interrupted: the process stopped during this step; resumed from real EC2 state";
      await this.deps.store.finishStep(step.id, "failed", this.deps.clock.now(), undefined, { error });
      await run.audit("switch.step", { step: step.step, status: "failed", error, interrupted: true });
    }
    await run.notify("preflight", "info", `Resuming switch ${saga.id.slice(0, 8)} from ${saga.state}`);
    return this.drive(run, await this.stopBeforeLaunch(saga));
  }

  /**
   * A saga that had not launched its replacement yet when the process stopped is rolled back instead of resumed
   * when the world changed meanwhile: mode now shadow, paused, breaker open, or the approval expired.
   * Once a replacement may exist, finishing is the safer way out.
   */
  private async stopBeforeLaunch(saga: SagaRecord): Promise<CodedError | undefined> {
    if (saga.state !== "imaging") return undefined;
    const gate = await this.deps.control.gate(saga.accountId);
    if (!gate.ok) return new CodedError(gate.code, `not resumed after the restart: ${gate.reason}`);
    const approval = saga.context.approval;
    if (approval && approval.expiresAt <= this.deps.clock.now()) {
      return new CodedError(
        "approval_expired",
        `not resumed after the restart: the approval by ${approval.approvedBy} expired at ${new Date(approval.expiresAt).toISOString()}`,
      );
    }
    return undefined;
  }

  /** Deregisters images (and deletes their snapshots) of finished switches older than the retention period. */
  async cleanupImages(): Promise<{ images: number; snapshots: number; failed: number }> {
    const before = this.deps.clock.now() - this.deps.settings.imageRetentionMs;
    let images = 0;
    let snapshots = 0;
    let failed = 0;
    for (const saga of await this.deps.store.listForImageCleanup(before)) {
      const imageId = saga.imageId as string;
      try {
        const ec2 = await this.deps.ec2.forAccount(saga.accountId, saga.region, `spotwise-cleanup`);
        const [img] = await ec2.describeImages({ imageIds: [imageId] });
        if (img && img.state !== "deregistered") {
          await ec2.deregisterImage({ imageId });
          images++;
          for (const snapshotId of img.snapshotIds) {
            await ec2.deleteSnapshot({ snapshotId });
            snapshots++;
          }
        }
        await this.deps.store.update(saga.id, saga.version, {
          context: { ...saga.context, imageCleanedAt: this.deps.clock.now() },
        });
        await this.deps.audit.record({
          at: this.deps.clock.now(),
          actor: "daemon",
          action: "switch.image_cleaned",
          subject: saga.instanceId,
          detail: { sagaId: saga.id, imageId, snapshots: img?.snapshotIds ?? [] },
        });
      } catch (e) {
        failed++;
        await this.deps.audit.record({
          at: this.deps.clock.now(),
          actor: "daemon",
          action: "switch.image_cleanup_failed",
          subject: saga.instanceId,
          detail: { sagaId: saga.id, imageId, error: errorMessage(e) },
        });
      }
    }
    return { images, snapshots, failed };
  }

  private async targetGroupPort(accountId: string, region: string, sessionName: string) {
    return this.deps.targetGroups?.forAccount(accountId, region, sessionName);
  }

  /** Drives the saga from its persisted state to a final one. */
  private async drive(run: SagaRun, stop?: CodedError): Promise<SagaOutcome> {
    try {
      try {
        if (stop) throw stop;
        await this.forward(run);
      } catch (e) {
        if (e instanceof SagaLost) throw e;
        const err = asCodedError(e);
        const reason =
          err.code === "aws_throttled"
            ? `${err.message.replace(/; will back off and retry$/, "")}; still throttled after ${this.deps.settings.maxCallRetries} retries`
            : err.message;
        const result = await rollback(run, reason, err.code);
        if (result === "rolled_forward") return await this.finish(run);
        return await this.finishRollback(run);
      }
      return await this.finish(run);
    } catch (e) {
      if (e instanceof SagaLost) {
        return {
          state: "in_flight",
          sagaId: run.id,
          instanceId: run.saga.instanceId,
          code: "conflict",
          reason: e.message,
        };
      }
      // the rollback itself failed: the saga stays active in rolling_back and is retried on the next resume
      const err = asCodedError(e);
      await run.audit("switch.rollback_incomplete", { error: err.message, code: err.code });
      await run.notify("rollback", "failed", `Rollback incomplete, will retry on resume: ${err.message}`);
      return {
        state: "in_flight",
        sagaId: run.id,
        instanceId: run.saga.instanceId,
        code: err.code,
        reason: `rollback incomplete (${err.message}); spotwise retries it on the next start`,
      };
    }
  }

  private async forward(run: SagaRun): Promise<void> {
    if (run.saga.state === "rolling_back") {
      throw new CodedError("internal", run.saga.context.rollbackReason ?? "rollback in progress");
    }
    if (run.saga.state === "imaging") await createImage(run);
    if (run.saga.state === "launching") await launchReplacement(run);
    if (run.saga.state === "verifying") await verifyReplacement(run);
    if (run.saga.state === "cutover") await carryIdentity(run);
    if (run.saga.state === "terminating_old") await terminateOld(run);
  }

  private async finish(run: SagaRun): Promise<SagaOutcome> {
    await run.save({ state: "done", active: false, finishedAt: run.now() });
    await this.deps.leases.release(leaseKey(run.saga.accountId, run.saga.instanceId), run.id);
    await this.deps.control.recordSuccess(run.saga.accountId);
    const pool = run.saga.targets[run.saga.targetIndex];
    await run.audit("switch.done", { newInstanceId: run.saga.newInstanceId, pool });
    await run.notify("terminate_old", "ok", `Switch done: ${run.saga.instanceId} → ${run.saga.newInstanceId}`);
    return { state: "done", sagaId: run.id, instanceId: run.saga.instanceId, newInstanceId: run.saga.newInstanceId };
  }

  private async finishRollback(run: SagaRun): Promise<SagaOutcome> {
    const reason = run.saga.context.rollbackReason ?? run.saga.error ?? "unknown";
    const code = run.saga.context.rollbackCode ?? "internal";
    await run.save({ state: "rolled_back", active: false, finishedAt: run.now(), error: reason });
    await this.deps.leases.release(leaseKey(run.saga.accountId, run.saga.instanceId), run.id);
    // a stop by the operator's controls is not a failure of the account: it does not count towards the breaker
    const controlled = ["paused", "shadow_mode", "circuit_open", "approval_expired"].includes(code);
    const breaker = controlled
      ? await this.deps.control.breaker(run.saga.accountId)
      : await this.deps.control.recordFailure(run.saga.accountId, reason);
    await run.audit("switch.rolled_back", { reason, code, breaker: breaker.state });
    await run.notify("rollback", "ok", `Rolled back; ${run.saga.instanceId} keeps running. Why: ${reason}`);
    return { state: "rolled_back", sagaId: run.id, instanceId: run.saga.instanceId, code, reason };
  }
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

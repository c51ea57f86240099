/**
 * SagaStore on the database: switch_execution (partial unique indexes: one active saga per instance, one saga per
 * recommendation; optimistic `version`) and switch_step (every step with timestamps and the AWS request id).
 */
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { CodedError } from "../../core/errors.js";
import type {
  NewSaga,
  SagaContext,
  SagaPatch,
  SagaRecord,
  SagaState,
  SagaStore,
  StepName,
  StepRecord,
  StepStatus,
} from "../../core/switch/types.js";
import type { EpochMs } from "../../core/types.js";
import {
  SwitchExecutionEntity,
  type SwitchExecutionRow,
  SwitchStepEntity,
  type SwitchStepRow,
} from "./entities-ops.js";
import type { Database } from "./orm.js";

const toMs = (d: Date | null | undefined): EpochMs | undefined => (d ? d.getTime() : undefined);

function toRecord(r: SwitchExecutionRow): SagaRecord {
  return {
    id: r.id,
    recommendationId: r.recommendationId ?? undefined,
    instanceId: r.instanceId,
    accountId: r.accountId,
    region: r.region,
    state: r.state as SagaState,
    active: r.active,
    fromPool: r.fromPool,
    targets: r.targets as unknown as SagaRecord["targets"],
    targetIndex: r.targetIndex,
    imageId: r.imageId ?? undefined,
    newInstanceId: r.newInstanceId ?? undefined,
    context: r.context as unknown as SagaContext,
    error: r.error ?? undefined,
    requestedBy: r.requestedBy,
    startedAt: r.startedAt.getTime(),
    updatedAt: r.updatedAt.getTime(),
    finishedAt: toMs(r.finishedAt),
    version: r.version,
  };
}

function toStep(r: SwitchStepRow): StepRecord {
  return {
    id: Number(r.id),
    executionId: r.executionId,
    step: r.step as StepName,
    status: r.status,
    startedAt: r.startedAt.getTime(),
    finishedAt: toMs(r.finishedAt),
    awsRequestId: r.awsRequestId ?? undefined,
    detail: r.detail,
  };
}

export class DbSagaStore implements SagaStore {
  constructor(private readonly db: Database) {}

  async create(saga: NewSaga): Promise<SagaRecord> {
    const em = this.db.em();
    em.create(SwitchExecutionEntity, {
      id: saga.id,
      recommendationId: saga.recommendationId ?? null,
      instanceId: saga.instanceId,
      accountId: saga.accountId,
      region: saga.region,
      state: saga.state,
      active: saga.active,
      fromPool: saga.fromPool,
      targets: saga.targets as unknown as string[],
      targetIndex: saga.targetIndex,
      imageId: saga.imageId ?? null,
      newInstanceId: saga.newInstanceId ?? null,
      context: saga.context as unknown as Record<string, unknown>,
      error: saga.error ?? null,
      requestedBy: saga.requestedBy,
      startedAt: new Date(saga.startedAt),
      updatedAt: new Date(saga.startedAt),
      version: 1,
    });
    try {
      await em.flush();
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) {
        throw new CodedError(
          "conflict",
          `instance ${saga.instanceId} already has an active switch, or recommendation ${saga.recommendationId ?? "-"} already ran`,
          undefined,
          { cause: e },
        );
      }
      throw e;
    }
    return (await this.get(saga.id)) as SagaRecord;
  }

  async get(id: string): Promise<SagaRecord | null> {
    const r = await this.db.em().findOne(SwitchExecutionEntity, { id });
    return r ? toRecord(r) : null;
  }

  async findByRecommendation(recommendationId: string): Promise<SagaRecord | null> {
    const r = await this.db.em().findOne(SwitchExecutionEntity, { recommendationId });
    return r ? toRecord(r) : null;
  }

  async findActiveByInstance(instanceId: string): Promise<SagaRecord | null> {
    const r = await this.db.em().findOne(SwitchExecutionEntity, { instanceId, active: true });
    return r ? toRecord(r) : null;
  }

  async update(id: string, expectedVersion: number, patch: SagaPatch): Promise<SagaRecord> {
    const set: Record<string, unknown> = { version: expectedVersion + 1, updatedAt: new Date() };
    for (const [k, v] of Object.entries(patch)) {
      if (k === "finishedAt") set[k] = v === undefined ? null : new Date(v as number);
      else set[k] = v === undefined ? null : v;
    }
    const n = await this.db.em().nativeUpdate(SwitchExecutionEntity, { id, version: expectedVersion }, set);
    if (n === undefined) {
      // PGlite's driver reports no row count when a value contains ";" (e.g. a rollback reason): this update
      // took effect when the row now carries its version and its timestamp
      const now = await this.get(id);
      if (now?.version === expectedVersion + 1 && now.updatedAt === (set.updatedAt as Date).getTime()) return now;
    }
    if (n !== 1) {
      const now = await this.get(id);
      if (!now) throw new CodedError("not_found", `switch ${id} does not exist`);
      throw new CodedError("conflict", `switch ${id} was changed by another process (version ${now.version})`);
    }
    return (await this.get(id)) as SagaRecord;
  }

  async listActive(): Promise<SagaRecord[]> {
    const rows = await this.db.em().find(SwitchExecutionEntity, { active: true }, { orderBy: { startedAt: "asc" } });
    return rows.map(toRecord);
  }

  /** How many sagas are in flight (listActive().length, without reading them: the decide tick asks each time). */
  async countActive(): Promise<number> {
    const [r] = await this.db
      .em()
      .getConnection()
      .execute<Array<{ n: string | number }>>("select count(*) as n from switch_execution where active", []);
    return Number(r?.n ?? 0);
  }

  async listNeedsAttention(): Promise<SagaRecord[]> {
    const rows = await this.db
      .em()
      .find(SwitchExecutionEntity, { state: "needs_attention" }, { orderBy: { startedAt: "asc" }, limit: 1000 });
    return rows.map(toRecord);
  }

  async listForImageCleanup(before: EpochMs): Promise<SagaRecord[]> {
    const rows = await this.db.em().find(
      SwitchExecutionEntity,
      {
        active: false,
        state: { $ne: "needs_attention" },
        imageId: { $ne: null },
        finishedAt: { $lt: new Date(before) },
      },
      { orderBy: { finishedAt: "asc" }, limit: 500 },
    );
    return rows.map(toRecord).filter((s) => s.context.imageCleanedAt === undefined);
  }

  async addStep(step: StepRecord): Promise<number> {
    const em = this.db.em();
    const row = em.create(SwitchStepEntity, {
      executionId: step.executionId,
      step: step.step,
      status: step.status,
      startedAt: new Date(step.startedAt),
      finishedAt: step.finishedAt ? new Date(step.finishedAt) : null,
      awsRequestId: step.awsRequestId ?? null,
      detail: step.detail,
    });
    await em.flush();
    return Number(row.id);
  }

  async finishStep(
    id: number,
    status: StepStatus,
    finishedAt: EpochMs,
    awsRequestId?: string,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    // one statement, not a read and a flush: the detail is merged key by key (jsonb ||, the new keys win)
    const rows = await this.db
      .em()
      .getConnection()
      .execute<Array<{ id: string }>>(
        `update switch_step set status = ?, finished_at = ?, aws_request_id = ?, detail = detail || ?::jsonb
         where id = ? returning id`,
        [status, new Date(finishedAt), awsRequestId ?? null, JSON.stringify(detail ?? {}), id],
        "all",
      );
    // flat(): on PGlite a statement whose values contain ";" comes back as one row list per statement
    if (rows.flat().length === 0) throw new CodedError("not_found", `step ${id} does not exist`);
  }

  async steps(executionId: string): Promise<StepRecord[]> {
    const rows = await this.db.em().find(SwitchStepEntity, { executionId }, { orderBy: { id: "asc" } });
    return rows.map(toStep);
  }
}

/** In-process SagaStore with the same constraints as the database (one active saga per instance and per recommendation). */
import { CodedError } from "../errors.js";
import type { EpochMs } from "../types.js";
import type { NewSaga, SagaPatch, SagaRecord, SagaStore, StepRecord, StepStatus } from "./types.js";

const clone = <T>(v: T): T => structuredClone(v);

export class MemorySagaStore implements SagaStore {
  private readonly sagas = new Map<string, SagaRecord>();
  private readonly stepRows: StepRecord[] = [];

  constructor(private readonly now: () => EpochMs = Date.now) {}

  async create(saga: NewSaga): Promise<SagaRecord> {
    for (const s of this.sagas.values()) {
      if (s.active && s.instanceId === saga.instanceId) {
        throw new CodedError("conflict", `instance ${saga.instanceId} already has an active switch ${s.id}`, {
          existing: s.id,
        });
      }
      if (saga.recommendationId && s.recommendationId === saga.recommendationId) {
        throw new CodedError("conflict", `recommendation ${saga.recommendationId} already has switch ${s.id}`, {
          existing: s.id,
        });
      }
    }
    const rec: SagaRecord = { ...clone(saga), version: 1, updatedAt: this.now() };
    this.sagas.set(rec.id, rec);
    return clone(rec);
  }

  async get(id: string): Promise<SagaRecord | null> {
    const s = this.sagas.get(id);
    return s ? clone(s) : null;
  }

  async findByRecommendation(recommendationId: string): Promise<SagaRecord | null> {
    for (const s of this.sagas.values()) if (s.recommendationId === recommendationId) return clone(s);
    return null;
  }

  async findActiveByInstance(instanceId: string): Promise<SagaRecord | null> {
    for (const s of this.sagas.values()) if (s.active && s.instanceId === instanceId) return clone(s);
    return null;
  }

  async update(id: string, expectedVersion: number, patch: SagaPatch): Promise<SagaRecord> {
    const s = this.sagas.get(id);
    if (!s) throw new CodedError("not_found", `switch ${id} does not exist`);
    if (s.version !== expectedVersion) {
      throw new CodedError("conflict", `switch ${id} was changed by another process (version ${s.version})`);
    }
    const next: SagaRecord = { ...s, ...clone(patch), version: s.version + 1, updatedAt: this.now() };
    this.sagas.set(id, next);
    return clone(next);
  }

  async listActive(): Promise<SagaRecord[]> {
    return [...this.sagas.values()].filter((s) => s.active).map(clone);
  }

  async listNeedsAttention(): Promise<SagaRecord[]> {
    return [...this.sagas.values()].filter((s) => s.state === "needs_attention").map(clone);
  }

  async listForImageCleanup(before: EpochMs): Promise<SagaRecord[]> {
    return [...this.sagas.values()]
      .filter(
        (s) =>
          !s.active &&
          s.state !== "needs_attention" &&
          s.imageId &&
          s.finishedAt !== undefined &&
          s.finishedAt < before &&
          s.context.imageCleanedAt === undefined,
      )
      .map(clone);
  }

  async addStep(step: StepRecord): Promise<number> {
    const id = this.stepRows.length + 1;
    this.stepRows.push({ ...clone(step), id });
    return id;
  }

  async finishStep(
    id: number,
    status: StepStatus,
    finishedAt: EpochMs,
    awsRequestId?: string,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    const row = this.stepRows[id - 1];
    if (!row) throw new CodedError("not_found", `step ${id} does not exist`);
    Object.assign(row, { status, finishedAt, awsRequestId, detail: { ...row.detail, ...(detail ?? {}) } });
  }

  async steps(executionId: string): Promise<StepRecord[]> {
    return this.stepRows.filter((s) => s.executionId === executionId).map(clone);
  }
}

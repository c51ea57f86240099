/**
 * The model registry's storage port. Records carry everything but the file bytes, which are read on demand.
 * `transition` applies several status changes in ONE transaction, each guarded by the status it expects
 * (compare-and-set): a concurrent change makes it fail with CodedError("conflict") and change nothing.
 */
import type { EpochMs } from "../types.js";

export type ModelStatus = "candidate" | "shadow" | "champion" | "retired" | "rejected";
export const MODEL_STATUSES: readonly ModelStatus[] = ["candidate", "shadow", "champion", "retired", "rejected"];

export interface ModelRecord {
  id: string;
  name: string;
  version: number;
  sha256: string;
  sizeBytes: number;
  contractVersion: string;
  featureNames: string[];
  metrics: Record<string, unknown>;
  status: ModelStatus;
  addedBy: string;
  createdAt: EpochMs;
  statusChangedAt: EpochMs;
  previousChampionId: string | null;
}

export interface NewModel {
  id: string;
  name: string;
  sha256: string;
  sizeBytes: number;
  contractVersion: string;
  featureNames: string[];
  metrics: Record<string, unknown>;
  addedBy: string;
  at: EpochMs;
  content: Uint8Array;
}

export interface StatusChange {
  id: string;
  from: ModelStatus;
  to: ModelStatus;
  /** Set previous_champion_id (only when given). */
  previousChampionId?: string | null;
}

export interface ModelRepository {
  /** Inserts as `candidate` with version = 1 + the highest version of that name (atomic). */
  insert(model: NewModel): Promise<ModelRecord>;
  get(id: string): Promise<ModelRecord | null>;
  list(filter?: { statuses?: ModelStatus[]; name?: string }): Promise<ModelRecord[]>;
  content(id: string): Promise<Uint8Array | null>;
  transition(changes: StatusChange[], at: EpochMs): Promise<void>;
}

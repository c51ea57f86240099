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
  /** sha256 of the graph and its semantic metadata (lineage.ts); null for rows registered before it existed. */
  identity: string | null;
  /** Where the model came from (training data sha256, code commit, libraries, parameters, split). */
  lineage: Record<string, unknown>;
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
  identity: string;
  lineage: Record<string, unknown>;
}

export interface StatusChange {
  id: string;
  from: ModelStatus;
  to: ModelStatus;
  /** Set previous_champion_id (only when given). */
  previousChampionId?: string | null;
}

export interface ModelRepository {
  /**
   * Inserts as `candidate` with version = 1 + the highest version of that name (atomic). A model with the same
   * identity already registered makes it fail with CodedError("conflict") naming that model.
   */
  insert(model: NewModel): Promise<ModelRecord>;
  /**
   * First-run seeding in ONE statement: inserts `model` as version 1 and champion only when nothing is registered
   * under its name and there is no champion; returns the row, or null when another process (or the operator)
   * got there first. Safe when several processes start at once.
   */
  insertSeedChampion(model: NewModel): Promise<ModelRecord | null>;
  findByIdentity(identity: string): Promise<ModelRecord | null>;
  /** Fills the identity of a row registered before identities existed. */
  setIdentity(id: string, identity: string): Promise<void>;
  get(id: string): Promise<ModelRecord | null>;
  list(filter?: { statuses?: ModelStatus[]; name?: string }): Promise<ModelRecord[]>;
  content(id: string): Promise<Uint8Array | null>;
  transition(changes: StatusChange[], at: EpochMs): Promise<void>;
}

/**
 * MikroORM entity schemas (no decorators, no reflect-metadata). The tables come from the checked-in
 * migrations under migrations/; these schemas only map them. Column names are snake_case of the properties.
 */
import { EntitySchema } from "@mikro-orm/core";
import type { ModelStatus } from "../../core/models/model-repository.js";
import type { RecommendationStatus } from "../../core/recommendations/types.js";

export interface AccountRow {
  id: string;
  name: string;
  roleArn?: string | null;
  regions: string[];
  createdAt: Date;
  updatedAt: Date;
}
export const AccountEntity = new EntitySchema<AccountRow>({
  name: "Account",
  tableName: "account",
  properties: {
    id: { type: "string", primary: true },
    name: { type: "string" },
    roleArn: { type: "string", nullable: true },
    regions: { type: "json" },
    createdAt: { type: "Date", onCreate: () => new Date() },
    updatedAt: { type: "Date", onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});

export interface ManagedInstanceRow {
  id: string;
  accountId: string;
  region: string;
  az: string;
  instanceType: string;
  lifecycle: string;
  subnetId?: string | null;
  azFlexible: boolean;
  modelOverride?: string | null;
  tags: Record<string, string>;
  /** Stable managed-instance id (lineage across switches); null only on rows of before the migration. */
  managedId?: string | null;
  poolSince?: Date | null;
  lastSwitchAt?: Date | null;
  state: string;
  discoveredAt: Date;
  lastSeenAt: Date;
}
export const ManagedInstanceEntity = new EntitySchema<ManagedInstanceRow>({
  name: "ManagedInstance",
  tableName: "managed_instance",
  properties: {
    id: { type: "string", primary: true },
    accountId: { type: "string" },
    region: { type: "string" },
    az: { type: "string" },
    instanceType: { type: "string" },
    lifecycle: { type: "string" },
    subnetId: { type: "string", nullable: true },
    azFlexible: { type: "boolean" },
    modelOverride: { type: "string", nullable: true },
    tags: { type: "json" },
    managedId: { type: "string", nullable: true },
    poolSince: { type: "Date", nullable: true },
    lastSwitchAt: { type: "Date", nullable: true },
    state: { type: "string" },
    discoveredAt: { type: "Date", onCreate: () => new Date() },
    lastSeenAt: { type: "Date", onCreate: () => new Date() },
  },
});

export type { ModelStatus };
export interface ModelRow {
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
  createdAt: Date;
  statusChangedAt: Date;
  previousChampionId?: string | null;
  filePath?: string | null;
  content?: Buffer | null;
  identity?: string | null;
  lineage?: Record<string, unknown>;
}
export const ModelEntity = new EntitySchema<ModelRow>({
  name: "Model",
  tableName: "model",
  properties: {
    id: { type: "uuid", primary: true },
    name: { type: "string" },
    version: { type: "integer" },
    sha256: { type: "string" },
    sizeBytes: { type: "integer" },
    contractVersion: { type: "string" },
    featureNames: { type: "json" },
    metrics: { type: "json" },
    status: { type: "string" },
    addedBy: { type: "string" },
    createdAt: { type: "Date", onCreate: () => new Date() },
    statusChangedAt: { type: "Date", onCreate: () => new Date() },
    previousChampionId: { type: "uuid", nullable: true },
    filePath: { type: "string", nullable: true },
    content: { type: "blob", nullable: true, lazy: true },
    identity: { type: "string", nullable: true },
    lineage: { type: "json", default: "{}" },
  },
});

export interface PredictionRow {
  id?: number;
  modelId: string;
  tickAt: Date;
  pool: string;
  probability: number;
  horizonMs: number;
  labelAt: Date;
  outcome?: number | null;
  labelledAt?: Date | null;
  windowStart?: Date | null;
}
export const PredictionEntity = new EntitySchema<PredictionRow>({
  name: "Prediction",
  tableName: "prediction",
  properties: {
    id: { type: "integer", primary: true, autoincrement: true },
    modelId: { type: "uuid" },
    tickAt: { type: "Date" },
    pool: { type: "string" },
    probability: { type: "float" },
    horizonMs: { type: "integer" },
    labelAt: { type: "Date" },
    outcome: { type: "smallint", nullable: true },
    labelledAt: { type: "Date", nullable: true },
    windowStart: { type: "Date", nullable: true },
  },
});

export interface DecisionRow {
  id: string;
  tickAt: Date;
  instanceId: string;
  managedId?: string | null;
  accountId: string;
  action: string;
  fromPool: string;
  toPool?: string | null;
  savingPerHour: number;
  savingPerMonth: number;
  priceSavingPerHour?: number | null;
  priceSavingPerMonth?: number | null;
  riskFrom: number;
  riskTo?: number | null;
  riskFromSource?: string | null;
  riskToSource?: string | null;
  launchFailureTo?: number | null;
  modelId?: string | null;
  modelName?: string | null;
  confidence?: number | null;
  fallback: boolean;
  strategy: string;
  reasons: string[];
  alternatives: string[];
  mode: string;
  realizedSavingUsd?: number | null;
  realizedAt?: Date | null;
  createdAt: Date;
  /** The first tick at which this decision no longer stood (a changed decision, or not decided); null: stands. */
  endedAt?: Date | null;
}
export const DecisionEntity = new EntitySchema<DecisionRow>({
  name: "Decision",
  tableName: "decision",
  properties: {
    id: { type: "uuid", primary: true },
    tickAt: { type: "Date" },
    instanceId: { type: "string" },
    managedId: { type: "string", nullable: true },
    accountId: { type: "string" },
    action: { type: "string" },
    fromPool: { type: "string" },
    toPool: { type: "string", nullable: true },
    savingPerHour: { type: "double" },
    savingPerMonth: { type: "double" },
    priceSavingPerHour: { type: "double", nullable: true },
    priceSavingPerMonth: { type: "double", nullable: true },
    riskFrom: { type: "double" },
    riskTo: { type: "double", nullable: true },
    riskFromSource: { type: "string", nullable: true },
    riskToSource: { type: "string", nullable: true },
    launchFailureTo: { type: "double", nullable: true },
    modelId: { type: "uuid", nullable: true },
    modelName: { type: "string", nullable: true },
    confidence: { type: "double", nullable: true },
    fallback: { type: "boolean" },
    strategy: { type: "string" },
    reasons: { type: "json" },
    alternatives: { type: "json" },
    mode: { type: "string" },
    realizedSavingUsd: { type: "double", nullable: true },
    realizedAt: { type: "Date", nullable: true },
    createdAt: { type: "Date", onCreate: () => new Date() },
    endedAt: { type: "Date", nullable: true },
  },
});

export type { RecommendationStatus };
export interface RecommendationRow {
  id: string;
  decisionId: string;
  instanceId: string;
  /** Null only on rows written before the managed id (read as the instance id). */
  managedId?: string | null;
  accountId: string;
  status: RecommendationStatus;
  channel?: string | null;
  messageTs?: string | null;
  expiresAt: Date;
  snoozedUntil?: Date | null;
  createdAt: Date;
  resolvedAt?: Date | null;
  resolvedBy?: string | null;
  /** The saving the message was posted with (a refresh compares against it). */
  postedSavingPerMonth?: number | null;
}
export const RecommendationEntity = new EntitySchema<RecommendationRow>({
  name: "Recommendation",
  tableName: "recommendation",
  properties: {
    id: { type: "uuid", primary: true },
    decisionId: { type: "uuid" },
    instanceId: { type: "string" },
    managedId: { type: "string", nullable: true },
    accountId: { type: "string" },
    status: { type: "string" },
    channel: { type: "string", nullable: true },
    messageTs: { type: "string", nullable: true },
    expiresAt: { type: "Date" },
    snoozedUntil: { type: "Date", nullable: true },
    createdAt: { type: "Date", onCreate: () => new Date() },
    resolvedAt: { type: "Date", nullable: true },
    resolvedBy: { type: "string", nullable: true },
    postedSavingPerMonth: { type: "double", nullable: true },
  },
});

export interface ApprovalRow {
  id?: number;
  recommendationId: string;
  userId: string;
  verdict: "approve" | "reject" | "snooze";
  createdAt: Date;
}
export const ApprovalEntity = new EntitySchema<ApprovalRow>({
  name: "Approval",
  tableName: "approval",
  properties: {
    id: { type: "integer", primary: true, autoincrement: true },
    recommendationId: { type: "uuid" },
    userId: { type: "string" },
    verdict: { type: "string" },
    createdAt: { type: "Date", onCreate: () => new Date() },
  },
});

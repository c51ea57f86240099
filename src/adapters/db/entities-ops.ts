/** Entity schemas for the switch saga, the audit trail and operational state. */
import { EntitySchema } from "@mikro-orm/core";

export interface SwitchExecutionRow {
  id: string;
  recommendationId?: string | null;
  instanceId: string;
  accountId: string;
  region: string;
  state: string;
  active: boolean;
  fromPool: string;
  targets: string[];
  targetIndex: number;
  imageId?: string | null;
  newInstanceId?: string | null;
  context: Record<string, unknown>;
  error?: string | null;
  requestedBy: string;
  startedAt: Date;
  updatedAt: Date;
  finishedAt?: Date | null;
  version: number;
}
export const SwitchExecutionEntity = new EntitySchema<SwitchExecutionRow>({
  name: "SwitchExecution",
  tableName: "switch_execution",
  properties: {
    id: { type: "uuid", primary: true },
    recommendationId: { type: "uuid", nullable: true },
    instanceId: { type: "string" },
    accountId: { type: "string" },
    region: { type: "string" },
    state: { type: "string" },
    active: { type: "boolean" },
    fromPool: { type: "string" },
    targets: { type: "json" },
    targetIndex: { type: "integer" },
    imageId: { type: "string", nullable: true },
    newInstanceId: { type: "string", nullable: true },
    context: { type: "json" },
    error: { type: "text", nullable: true },
    requestedBy: { type: "string" },
    startedAt: { type: "Date", onCreate: () => new Date() },
    updatedAt: { type: "Date", onCreate: () => new Date(), onUpdate: () => new Date() },
    finishedAt: { type: "Date", nullable: true },
    version: { type: "integer", version: true },
  },
});

export interface SwitchStepRow {
  id?: number;
  executionId: string;
  step: string;
  status: "started" | "ok" | "failed" | "skipped";
  startedAt: Date;
  finishedAt?: Date | null;
  awsRequestId?: string | null;
  detail: Record<string, unknown>;
}
export const SwitchStepEntity = new EntitySchema<SwitchStepRow>({
  name: "SwitchStep",
  tableName: "switch_step",
  properties: {
    id: { type: "integer", primary: true, autoincrement: true },
    executionId: { type: "uuid" },
    step: { type: "string" },
    status: { type: "string" },
    startedAt: { type: "Date" },
    finishedAt: { type: "Date", nullable: true },
    awsRequestId: { type: "string", nullable: true },
    detail: { type: "json" },
  },
});

export interface AuditEventRow {
  id?: number;
  at: Date;
  actor: string;
  action: string;
  subject?: string | null;
  detail: Record<string, unknown>;
}
export const AuditEventEntity = new EntitySchema<AuditEventRow>({
  name: "AuditEvent",
  tableName: "audit_event",
  properties: {
    id: { type: "integer", primary: true, autoincrement: true },
    at: { type: "Date" },
    actor: { type: "string" },
    action: { type: "string" },
    subject: { type: "string", nullable: true },
    detail: { type: "json" },
  },
});

export interface ComponentHealthRow {
  component: string;
  status: "ok" | "degraded" | "down" | "unknown";
  lastOkAt?: Date | null;
  lastCheckAt: Date;
  detail?: string | null;
}
export const ComponentHealthEntity = new EntitySchema<ComponentHealthRow>({
  name: "ComponentHealth",
  tableName: "component_health",
  properties: {
    component: { type: "string", primary: true },
    status: { type: "string" },
    lastOkAt: { type: "Date", nullable: true },
    lastCheckAt: { type: "Date" },
    detail: { type: "text", nullable: true },
  },
});

export interface CircuitBreakerRow {
  accountId: string;
  state: "closed" | "open" | "half-open";
  consecutiveFailures: number;
  openedAt?: Date | null;
  updatedAt: Date;
  lastError?: string | null;
}
export const CircuitBreakerEntity = new EntitySchema<CircuitBreakerRow>({
  name: "CircuitBreaker",
  tableName: "circuit_breaker",
  properties: {
    accountId: { type: "string", primary: true },
    state: { type: "string" },
    consecutiveFailures: { type: "integer" },
    openedAt: { type: "Date", nullable: true },
    updatedAt: { type: "Date", onCreate: () => new Date(), onUpdate: () => new Date() },
    lastError: { type: "text", nullable: true },
  },
});

export interface ControlSettingRow {
  key: string;
  value: unknown;
  updatedAt: Date;
  updatedBy: string;
}
export const ControlSettingEntity = new EntitySchema<ControlSettingRow>({
  name: "ControlSetting",
  tableName: "control_setting",
  properties: {
    key: { type: "string", primary: true },
    value: { type: "json" },
    updatedAt: { type: "Date", onCreate: () => new Date(), onUpdate: () => new Date() },
    updatedBy: { type: "string" },
  },
});

export interface TickRunRow {
  id?: number;
  job: string;
  startedAt: Date;
  finishedAt?: Date | null;
  status: "running" | "ok" | "failed" | "cancelled" | "skipped";
  error?: string | null;
  stats: Record<string, unknown>;
}
export const TickRunEntity = new EntitySchema<TickRunRow>({
  name: "TickRun",
  tableName: "tick_run",
  properties: {
    id: { type: "integer", primary: true, autoincrement: true },
    job: { type: "string" },
    startedAt: { type: "Date" },
    finishedAt: { type: "Date", nullable: true },
    status: { type: "string" },
    error: { type: "text", nullable: true },
    stats: { type: "json" },
  },
});

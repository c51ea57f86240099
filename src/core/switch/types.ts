/**
 * The switch saga's data: its persisted record, the request that starts it, and the ports it needs besides EC2.
 * A saga moves one running instance into another spot pool, make-before-break.
 */
import type { Ec2Instance } from "../ports/ec2.js";
import type { EpochMs, Mode, PoolKey } from "../types.js";
import type { LaunchIdentity } from "./identity.js";

/**
 * Persisted states. In-flight: imaging → launching → verifying → [moving_volumes] → cutover → terminating_old
 * (moving_volumes only when the old instance has data volumes kept on termination: they move, not copy).
 * Final: done, rolled_back, refused, needs_attention. `rolling_back` stays in flight until the rollback has
 * completed. `needs_attention`: spotwise could neither finish nor roll back (the channel was told what is
 * running and what to do); the saga stops there, blocks new switches of that instance only, and
 * `spotwise resume SAGA_ID` retries it from the state it stopped in (context.attention.from).
 */
export type SagaState =
  | "imaging"
  | "launching"
  | "verifying"
  | "moving_volumes"
  | "cutover"
  | "terminating_old"
  | "rolling_back"
  | "done"
  | "rolled_back"
  | "refused"
  | "needs_attention";

/** Deadline clocks: the in-flight states plus the application health check. */
export type Phase = SagaState | "health";

export const FINAL_STATES: readonly SagaState[] = ["done", "rolled_back", "refused", "needs_attention"];

export type StepName =
  | "preflight"
  | "create_image"
  | "wait_image"
  | "run_instances"
  | "wait_running"
  | "health_check"
  | "recheck_replacement"
  | "stop_old"
  | "detach_volume"
  | "attach_volume"
  | "verify_volumes"
  | "restore_volumes"
  | "start_old"
  | "carry_private_ips"
  | "carry_eip"
  | "carry_target_groups"
  | "terminate_old"
  | "rollback"
  | "cleanup_image";

export type StepStatus = "started" | "ok" | "failed" | "skipped";

/** What the old instance looked like at preflight: the replacement copies it. */
export interface SourceSnapshot {
  instanceType: string;
  az: string;
  lifecycle: "spot" | "on-demand";
  subnetId?: string;
  securityGroupIds: string[];
  iamInstanceProfileArn?: string;
  keyName?: string;
  userData?: string;
  privateIp?: string;
  tags: Record<string, string>;
  /** Launch-time identity the replacement reproduces (absent on sagas started by older versions). */
  launch?: LaunchIdentity;
}

export interface SagaContext {
  source: SourceSnapshot;
  /** Elastic IPs associated with the old instance at preflight. */
  addresses: Array<{ allocationId: string; publicIp: string; privateIp?: string }>;
  /** Target groups the old instance was registered in at preflight. */
  targetGroups: Array<{ targetGroupArn: string; port?: number }>;
  healthUrl?: string;
  noReboot: boolean;
  /** Per phase, when it started (deadlines survive a restart). */
  phaseStartedAt: Partial<Record<Phase, EpochMs>>;
  launchAttempts: Array<{ pool: string; error: string }>;
  /** What was moved to the replacement, so a rollback knows what to move back. */
  moved: { eips: string[]; targetGroups: string[] };
  /** Set when every data volume was verified attached to the replacement at its device name. */
  volumesMovedAt?: EpochMs;
  /** Set when the replacement passed every check: only then may the old one be terminated. */
  verifiedAt?: EpochMs;
  rollbackReason?: string;
  rollbackCode?: string;
  approval?: Approval;
  imageCleanedAt?: EpochMs;
  /** Failed attempts to terminate the old instance after a verified cutover (retried, never rolled back). */
  terminateAttempts?: number;
  /** Why the saga needs a person, and the state `spotwise resume` restarts it from. */
  attention?: { from: SagaState; reason: string; code: string; at: EpochMs };
  /** Alternative subnet per AZ for moves across AZs (from the account config). */
  subnetForAz?: Record<string, string>;
}

export interface SagaRecord {
  id: string;
  recommendationId?: string;
  instanceId: string;
  accountId: string;
  region: string;
  state: SagaState;
  active: boolean;
  fromPool: string;
  targets: PoolKey[];
  targetIndex: number;
  imageId?: string;
  newInstanceId?: string;
  context: SagaContext;
  error?: string;
  requestedBy: string;
  startedAt: EpochMs;
  updatedAt: EpochMs;
  finishedAt?: EpochMs;
  version: number;
}

export type NewSaga = Omit<SagaRecord, "version" | "updatedAt" | "finishedAt">;

export type SagaPatch = Partial<
  Pick<
    SagaRecord,
    "state" | "active" | "targetIndex" | "imageId" | "newInstanceId" | "context" | "error" | "finishedAt"
  >
>;

export interface StepRecord {
  id?: number;
  executionId: string;
  step: StepName;
  status: StepStatus;
  startedAt: EpochMs;
  finishedAt?: EpochMs;
  awsRequestId?: string;
  detail: Record<string, unknown>;
}

/**
 * Persistence of sagas. `create` throws CodedError("conflict") when the instance already has an active saga
 * or the recommendation already has one; `update` throws CodedError("conflict") when `expectedVersion` is stale.
 */
export interface SagaStore {
  create(saga: NewSaga): Promise<SagaRecord>;
  get(id: string): Promise<SagaRecord | null>;
  findByRecommendation(recommendationId: string): Promise<SagaRecord | null>;
  findActiveByInstance(instanceId: string): Promise<SagaRecord | null>;
  update(id: string, expectedVersion: number, patch: SagaPatch): Promise<SagaRecord>;
  listActive(): Promise<SagaRecord[]>;
  /** Sagas left in needs_attention (not yet resumed by a person). */
  listNeedsAttention(): Promise<SagaRecord[]>;
  /** Finished sagas (never needs_attention: its image may be the way back) with an image not yet cleaned. */
  listForImageCleanup(before: EpochMs): Promise<SagaRecord[]>;
  addStep(step: StepRecord): Promise<number>;
  finishStep(
    id: number,
    status: StepStatus,
    finishedAt: EpochMs,
    awsRequestId?: string,
    detail?: Record<string, unknown>,
  ): Promise<void>;
  steps(executionId: string): Promise<StepRecord[]>;
}

export interface Approval {
  recommendationId?: string;
  approvedBy: string;
  approvedAt: EpochMs;
  expiresAt: EpochMs;
}

export interface SwitchRequest {
  instanceId: string;
  accountId: string;
  region: string;
  /** Candidate pools in order of preference; the next one is tried on InsufficientInstanceCapacity. */
  targets: PoolKey[];
  /** "slack:U123", "cli:alice" */
  requestedBy: string;
  approval?: Approval;
}

/** Optional application health check of the replacement (URL from config or tag spotwise:health-url). */
export interface HealthChecker {
  check(input: { url: string; instance: Ec2Instance }): Promise<{ ok: boolean; detail?: string }>;
}

/** The narrow load balancer port: the target groups an instance is registered in, and moving it. */
export interface TargetGroupPort {
  targetGroupsOf(instanceId: string): Promise<Array<{ targetGroupArn: string; port?: number }>>;
  register(input: { targetGroupArn: string; instanceId: string; port?: number }): Promise<{ requestId?: string }>;
  deregister(input: { targetGroupArn: string; instanceId: string; port?: number }): Promise<{ requestId?: string }>;
}

export interface TargetGroupFactory {
  forAccount(accountId: string, region: string, sessionName?: string): Promise<TargetGroupPort>;
}

export type ProgressStatus = "started" | "ok" | "failed" | "skipped" | "info";

/** Called for every step so the Slack bot can post it in the recommendation's thread. Must not throw. */
export type ProgressFn = (step: StepName, status: ProgressStatus, text: string) => void | Promise<void>;

export type OutcomeState = "done" | "rolled_back" | "refused" | "duplicate" | "in_flight" | "needs_attention";

export interface SagaOutcome {
  state: OutcomeState;
  sagaId?: string;
  instanceId: string;
  newInstanceId?: string;
  /** For refusals and rollbacks: why, as one line a person can act on. */
  reason?: string;
  code?: string;
}

export interface SwitchSettings {
  mode?: Mode;
  noReboot: boolean;
  imageDeadlineMs: number;
  launchDeadlineMs: number;
  healthDeadlineMs: number;
  pollIntervalMs: number;
  imageRetentionMs: number;
  leaseTtlMs: number;
  /** Transient AWS errors (throttling, 5xx, call timeouts) are retried this many times per call. */
  maxCallRetries: number;
  /** A verified switch whose old instance cannot be terminated is retried this many times, then needs attention. */
  maxTerminateAttempts: number;
  healthCheckUrl?: string;
  /** accountId → az → subnet id, for moves across AZs. */
  subnets: Record<string, Record<string, string>>;
}

export const DEFAULT_SWITCH_SETTINGS: SwitchSettings = {
  noReboot: false,
  imageDeadlineMs: 60 * 60_000,
  launchDeadlineMs: 15 * 60_000,
  healthDeadlineMs: 10 * 60_000,
  pollIntervalMs: 15_000,
  imageRetentionMs: 72 * 3600_000,
  leaseTtlMs: 10 * 60_000,
  maxCallRetries: 4,
  maxTerminateAttempts: 3,
  subnets: {},
};

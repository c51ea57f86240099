/**
 * Everything the Slack bot needs from the rest of spotwise, and nothing more. The lead wires the real
 * implementations (switch saga, model registry, control, health); tests pass fakes.
 */
import type { ChecklistItem } from "../core/control/checklist.js";
import type { AuditLog } from "../core/ports/audit.js";
import type { RecommendationService } from "../core/recommendations/service.js";
import type { EpochMs, Mode, PoolKey } from "../core/types.js";

/** One step of the switch saga as it happens. */
export interface SwitchProgress {
  /** "image", "launch", "wait-healthy", "associate-address", "terminate-old", "rollback" … */
  step: string;
  status: "started" | "ok" | "failed" | "skipped" | "info";
  detail?: string;
}

export interface SwitchOutcome {
  status: "done" | "rolled_back" | "failed";
  executionId?: string;
  newInstanceId?: string;
  /** Why it rolled back or failed, in words a user can act on. */
  reason?: string;
}

/**
 * Runs the approved switch of a recommendation to its end. Refusals (paused, shadow mode, open circuit,
 * budget exhausted, lease held) are thrown as CodedError with a message for the user.
 */
export type StartSwitch = (
  recommendationId: string,
  approver: string,
  onProgress: (p: SwitchProgress) => Promise<void>,
) => Promise<SwitchOutcome>;

export type ModelStatus = "candidate" | "shadow" | "champion" | "retired" | "rejected";

export interface ModelSummary {
  id: string;
  name: string;
  version: number;
  status: ModelStatus;
  contractVersion: string;
  sizeBytes: number;
  sha256: string;
  createdAt: EpochMs;
  addedBy: string;
  metrics: { auc?: number | null; brier?: number | null; n?: number | null };
}

export interface ModelRegistryOps {
  list(): Promise<ModelSummary[]>;
  /** By name (latest version), "name@version" or id; throws CodedError not_found. */
  show(ref: string): Promise<ModelSummary>;
  /**
   * Gated (shadow time, labelled outcomes, paired comparison); a refusal is a CodedError("conflict") with the
   * numbers. `force` with a reason overrides it (audited and announced).
   */
  promote(ref: string, actor: string, opts?: { force?: boolean; reason?: string }): Promise<ModelSummary>;
  reject(ref: string, actor: string, reason?: string): Promise<ModelSummary>;
  /** Back to the previous champion; throws CodedError not_found/conflict when there is none. */
  rollback(actor: string): Promise<ModelSummary>;
  /** Validates (ONNX, feature contract, size) and stores as a candidate; throws CodedError model_invalid. */
  addFromBytes(input: { name: string; bytes: Uint8Array; actor: string; source: string }): Promise<ModelSummary>;
}

export interface ExperimentRow {
  model: string;
  status: ModelStatus;
  auc: number | null;
  brier: number | null;
  n: number;
}

export interface ExperimentReport {
  generatedAt: EpochMs;
  rows: ExperimentRow[];
  /** One line of verdict: "gbt-v4 beats the champion on AUC (0.81 vs 0.77, n=1200)". */
  summary: string;
}

export type ComponentName =
  | "database"
  | "redis"
  | "aws"
  | "scraper"
  | "model"
  | "scheduler"
  | "slack"
  | "circuit-breakers";

export interface ComponentStatus {
  component: ComponentName;
  /** "aws 123456789012", "scraper us-east-1" … */
  label: string;
  status: "ok" | "degraded" | "down" | "unknown";
  lastOkAt: EpochMs | null;
  detail?: string;
}

export interface ControlState {
  paused: boolean;
  pausedReason?: string;
  pausedBy?: string;
  mode: Mode;
}

export interface ControlOps {
  state(): Promise<ControlState>;
  pause(actor: string, reason: string): Promise<ControlState>;
  resume(actor: string): Promise<ControlState>;
  /** Approve is refused (CodedError forbidden, listing what is missing) unless the safety checklist is green. */
  setMode(mode: Mode, actor: string): Promise<ControlState>;
  /** Could a switch in this account start now (mode, pause, breaker, today's budget)? Checked at click time. */
  canApprove(accountId: string): Promise<{ ok: true } | { ok: false; code: string; reason: string }>;
  /** The safety checklist for approve mode. */
  checklist(): Promise<ChecklistItem[]>;
  resetBreaker(accountId: string, actor: string): Promise<void>;
}

/** The part of the recommendation service the bot uses (RecommendationService satisfies it). */
export type RecommendationOps = Pick<
  RecommendationService,
  "get" | "list" | "approve" | "reject" | "snooze" | "markExecuting" | "finish" | "toMessage" | "attachMessage"
>;

/** One switch as App Home lists it. */
export interface SwitchSummary {
  id: string;
  instanceId: string;
  newInstanceId: string | null;
  accountId: string;
  from: PoolKey;
  to: PoolKey | null;
  /** The saga state: "done", "rolled_back", "failed", "refused", or a step while it runs. */
  state: string;
  requestedBy: string;
  startedAt: EpochMs;
  finishedAt: EpochMs | null;
  error: string | null;
}

export interface BotServices {
  recommendations: RecommendationOps;
  startSwitch: StartSwitch;
  models: ModelRegistryOps;
  experiments: { report(): Promise<ExperimentReport> };
  health: { components(): Promise<ComponentStatus[]> };
  control: ControlOps;
  audit: AuditLog;
  /** The last switches, newest first (App Home); absent: App Home says none are recorded. */
  switches?: { recent(limit: number): Promise<SwitchSummary[]> };
  /** Downloads a Slack file (url_private) with the bot token, refusing more than `maxBytes`. */
  fetchFile(url: string, maxBytes: number): Promise<Uint8Array>;
}

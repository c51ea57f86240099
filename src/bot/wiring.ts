/**
 * Adapters from the real core services to the narrow BotServices parts (for the lead's wiring):
 * the model registry, the control service and the experiment report.
 */
import type { ControlService } from "../core/control/service.js";
import { CodedError, type ErrorCode } from "../core/errors.js";
import type { HealthService } from "../core/health/health.js";
import type { ExperimentReport as CoreExperimentReport } from "../core/models/experiment-report.js";
import type { ModelRecord } from "../core/models/model-repository.js";
import type { ModelRegistry } from "../core/models/registry.js";
import type { AuditLog } from "../core/ports/audit.js";
import type { Clock } from "../core/ports/clock.js";
import type { RecommendationService } from "../core/recommendations/service.js";
import type { SwitchSagaRunner } from "../core/switch/saga.js";
import type {
  BotServices,
  ComponentStatus,
  ControlOps,
  ExperimentReport,
  ModelRegistryOps,
  ModelSummary,
  StartSwitch,
} from "./services.js";
import { componentStatuses, type StatusSourceDeps } from "./status-source.js";

function metric(m: Record<string, unknown>, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = m[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

export function modelSummary(m: ModelRecord): ModelSummary {
  return {
    id: m.id,
    name: m.name,
    version: m.version,
    status: m.status,
    contractVersion: m.contractVersion,
    sizeBytes: m.sizeBytes,
    sha256: m.sha256,
    createdAt: m.createdAt,
    addedBy: m.addedBy,
    metrics: {
      auc: metric(m.metrics, "auc", "test_auc"),
      brier: metric(m.metrics, "brier", "test_brier"),
      n: metric(m.metrics, "n", "test_n"),
    },
  };
}

export function registryOps(registry: ModelRegistry): ModelRegistryOps {
  return {
    list: async () => (await registry.list()).map(modelSummary),
    show: async (ref) => modelSummary(await registry.show(ref)),
    promote: async (ref, actor, opts) => modelSummary((await registry.promote(ref, actor, opts)).champion),
    reject: async (ref, actor, reason) => modelSummary(await registry.reject(ref, actor, reason)),
    rollback: async (actor) => modelSummary((await registry.rollback(actor)).champion),
    addFromBytes: async ({ name, bytes, actor }) =>
      modelSummary((await registry.add({ bytes, name, addedBy: actor })).model),
  };
}

export function controlOps(control: ControlService): ControlOps {
  const state = () => control.switchingState();
  return {
    state,
    async pause(actor, reason) {
      await control.pause(actor, reason);
      return state();
    },
    async resume(actor) {
      await control.resume(actor);
      return state();
    },
    async setMode(mode, actor) {
      await control.setMode(mode, actor);
      return state();
    },
    canApprove: (accountId) => control.canApprove(accountId),
    checklist: () => control.checklist(),
    resetBreaker: (accountId, actor) => control.resetBreaker(accountId, actor),
  };
}

/** The experiment report in the bot's shape, with a one-line verdict. */
export function experimentsView(r: CoreExperimentReport, now: number): ExperimentReport {
  const rows = r.models.map((m) => ({
    model: m.version === null ? m.name : `${m.name} v${m.version}`,
    status: m.status as ExperimentReport["rows"][number]["status"],
    auc: Number.isFinite(m.auc) ? m.auc : null,
    brier: Number.isFinite(m.brier) ? m.brier : null,
    n: m.n,
  }));
  const label = (m: CoreExperimentReport["models"][number]) =>
    m.version === null ? m.name : `${m.name} v${m.version}`;
  const champion = r.models.find((x) => x.status === "champion");
  // a verdict only from the paired comparison (same rows as the champion), beyond the 95% interval
  const better = r.models.filter((x) => x.paired && x.paired.brierCi[1] < 0);
  const f = (v: number) => (v >= 0 ? `+${v.toFixed(4)}` : v.toFixed(4));
  const unknown = r.unknown ? `; ${r.unknown} with no observed outcome not scored` : "";
  let summary: string;
  if (r.labelled === 0) summary = "no labelled predictions yet: outcomes are labelled after each prediction's horizon";
  else if (!champion) summary = `${r.labelled} labelled predictions; no champion model${unknown}`;
  else if (better.length > 0) {
    const b = better[0];
    const p = b.paired as NonNullable<typeof b.paired>;
    summary = `${better.map(label).join(", ")} beat${better.length === 1 ? "s" : ""} the champion ${label(champion)} on the same ${p.n} outcomes: Brier ${f(p.brierDiff)} (95% CI [${p.brierCi[0].toFixed(4)}, ${p.brierCi[1].toFixed(4)}]), AUC ${p.auc.toFixed(3)} vs ${p.championAuc.toFixed(3)}${unknown}`;
  } else {
    summary = `no challenger beats the champion ${label(champion)} beyond the interval (AUC ${Number.isFinite(champion.auc) ? champion.auc.toFixed(3) : "n/a"}, ${r.labelled} labelled${unknown})`;
  }
  return { generatedAt: now, rows, summary };
}

/**
 * The health report ("aws:<id>" rows per account) as the components of `/spot status`, each with a true
 * state: breakers and the model read live, stale and never-reported components said as such (status-source.ts).
 */
export function healthOps(
  health: HealthService,
  live: Omit<StatusSourceDeps, "report" | "now" | "startedAt"> & { clock?: Clock; startedAt?: number } = {},
): { components(): Promise<ComponentStatus[]> } {
  const now = () => live.clock?.now() ?? Date.now();
  const startedAt = live.startedAt ?? now();
  return {
    components: () => componentStatuses({ ...live, report: () => health.report(), now, startedAt }),
  };
}

const ERROR_CODES: readonly ErrorCode[] = ["paused", "shadow_mode", "circuit_open", "budget_exhausted", "lease_held"];

/**
 * startSwitch on the saga runner: the recommendation's target and alternatives become the switch request,
 * steps are forwarded as progress, refusals (and a saga already running) are thrown as CodedError so the
 * bot answers with the reason.
 */
export function startSwitchWith(deps: {
  runner: SwitchSagaRunner;
  recommendations: RecommendationService;
  clock: Clock;
}): StartSwitch {
  return async (recommendationId, approver, onProgress) => {
    const rec = await deps.recommendations.get(recommendationId);
    if (!rec?.decision.to) throw new CodedError("not_found", `recommendation ${recommendationId} has no target pool`);
    const outcome = await deps.runner.start(
      {
        instanceId: rec.instanceId,
        accountId: rec.accountId,
        region: rec.region,
        targets: [rec.decision.to, ...rec.decision.alternatives],
        requestedBy: `slack:${approver}`,
        approval: {
          recommendationId,
          approvedBy: rec.resolvedBy ?? approver,
          approvedAt: rec.resolvedAt ?? deps.clock.now(),
          expiresAt: rec.expiresAt,
        },
      },
      async (step, status, text) => {
        try {
          await onProgress({ step: step.replaceAll("_", " "), status, detail: text });
        } catch {
          // Progress must not throw into the saga (ProgressFn contract); the bot logs its own failures.
        }
      },
    );
    switch (outcome.state) {
      case "done":
        return { status: "done", executionId: outcome.sagaId, newInstanceId: outcome.newInstanceId };
      case "rolled_back":
        return { status: "rolled_back", executionId: outcome.sagaId, reason: outcome.reason };
      default: {
        const code = ERROR_CODES.find((c) => c === outcome.code) ?? "conflict";
        throw new CodedError(code, outcome.reason ?? `switch ${outcome.state}`, { state: outcome.state });
      }
    }
  };
}

/** All of BotServices from the real core services: the lead's one call. */
export function botServicesFrom(deps: {
  recommendations: RecommendationService;
  runner: SwitchSagaRunner;
  registry: ModelRegistry;
  control: ControlService;
  health: HealthService;
  /** Builds the core experiment report (predictions, decisions, registry) on demand. */
  experimentReport: () => Promise<CoreExperimentReport>;
  audit: AuditLog;
  /** slackFileFetcher({ token: SLACK_BOT_TOKEN }) */
  fetchFile: BotServices["fetchFile"];
  clock: Clock;
  /** Configured account ids (none configured shows as such in `/spot status`). */
  accounts?: readonly string[];
  /** The last switches (App Home). */
  switches?: BotServices["switches"];
}): BotServices {
  return {
    recommendations: deps.recommendations,
    startSwitch: startSwitchWith({ runner: deps.runner, recommendations: deps.recommendations, clock: deps.clock }),
    models: registryOps(deps.registry),
    experiments: { report: async () => experimentsView(await deps.experimentReport(), deps.clock.now()) },
    health: healthOps(deps.health, {
      clock: deps.clock,
      accounts: deps.accounts,
      breakers: async () => (await deps.control.status()).breakers,
      champion: async () => {
        const c = await deps.registry.champion();
        return c ? { name: c.name, version: c.version } : null;
      },
    }),
    control: controlOps(deps.control),
    audit: deps.audit,
    fetchFile: deps.fetchFile,
    switches: deps.switches,
  };
}

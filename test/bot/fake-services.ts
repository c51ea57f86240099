/** Fakes of the parts of BotServices other helpers build (saga, registry, control, health), with call logs. */
import { createHash } from "node:crypto";
import type {
  BotServices,
  ComponentStatus,
  ControlState,
  ModelSummary,
  RecommendationOps,
  SwitchOutcome,
  SwitchProgress,
} from "../../src/bot/services.js";
import { CodedError } from "../../src/core/errors.js";
import type { AuditLog } from "../../src/core/ports/audit.js";
import type { Mode } from "../../src/core/types.js";

export interface FakeServicesLog {
  switches: Array<{ recommendationId: string; approver: string }>;
  control: string[];
  models: string[];
  fetched: string[];
}

export interface FakeServicesOptions {
  recommendations: RecommendationOps;
  audit: AuditLog;
  /** Steps the fake saga reports, then its outcome (or a thrown refusal). */
  saga?: {
    steps?: SwitchProgress[];
    outcome?: SwitchOutcome;
    refuse?: CodedError;
    /** Waits before each step (a saga that takes its time, for coalescing). */
    beforeStep?: () => Promise<void>;
  };
  fetchFile?: BotServices["fetchFile"];
  now?: () => number;
}

const ONNX_MAGIC = Buffer.from([0x08]); // protobuf field 1 (ir_version), varint: how every ONNX file starts

export function fakeServices(
  o: FakeServicesOptions,
): BotServices & { log: FakeServicesLog; modelsById: Map<string, ModelSummary> } {
  const now = o.now ?? Date.now;
  const log: FakeServicesLog = { switches: [], control: [], models: [], fetched: [] };
  const modelsById = new Map<string, ModelSummary>();
  let control: ControlState = { paused: false, mode: "approve" };
  let version = 0;
  const add = (name: string, status: ModelSummary["status"], actor: string, bytes: Uint8Array): ModelSummary => {
    const m: ModelSummary = {
      id: `m-${++version}`,
      name,
      version: [...modelsById.values()].filter((x) => x.name === name).length + 1,
      status,
      contractVersion: "v1",
      sizeBytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      createdAt: now(),
      addedBy: actor,
      metrics: { auc: 0.8, brier: 0.1, n: 1000 },
    };
    modelsById.set(m.id, m);
    return m;
  };
  add("baseline", "champion", "cli:alice", Buffer.from([8, 7, 1]));
  const find = (ref: string) => {
    const m = [...modelsById.values()].reverse().find((x) => x.id === ref || x.name === ref);
    if (!m) throw new CodedError("not_found", `no model "${ref}": see \`/spot models list\``);
    return m;
  };
  const components: ComponentStatus[] = [
    { component: "database", label: "database", status: "ok", lastOkAt: now() },
    { component: "redis", label: "redis", status: "ok", lastOkAt: now() },
    { component: "aws", label: "aws 123456789012", status: "degraded", lastOkAt: now() - 600_000, detail: "throttled" },
    { component: "scraper", label: "scraper", status: "ok", lastOkAt: now() - 120_000 },
    { component: "model", label: "model", status: "ok", lastOkAt: now() },
    { component: "scheduler", label: "scheduler", status: "ok", lastOkAt: now() - 60_000 },
    { component: "slack", label: "slack", status: "ok", lastOkAt: now() },
    { component: "circuit-breakers", label: "circuit breakers", status: "ok", lastOkAt: now() },
  ];
  return {
    log,
    modelsById,
    recommendations: o.recommendations,
    audit: o.audit,
    async startSwitch(recommendationId, approver, onProgress) {
      log.switches.push({ recommendationId, approver });
      if (o.saga?.refuse) throw o.saga.refuse;
      for (const s of o.saga?.steps ??
        ([
          { step: "image", status: "ok", detail: "ami-0123" },
          { step: "launch", status: "ok", detail: "i-0new" },
          { step: "wait-healthy", status: "ok" },
          { step: "terminate-old", status: "ok" },
        ] satisfies SwitchProgress[])) {
        await o.saga?.beforeStep?.();
        await onProgress(s);
      }
      return o.saga?.outcome ?? { status: "done", newInstanceId: "i-0new", executionId: "x-1" };
    },
    models: {
      list: async () => [...modelsById.values()],
      show: async (ref) => find(ref),
      async promote(ref, actor, opts) {
        const m = find(ref);
        for (const x of modelsById.values()) if (x.status === "champion") x.status = "retired";
        m.status = "champion";
        log.models.push(`promote ${m.name} by ${actor}${opts?.force ? ` forced: ${opts.reason}` : ""}`);
        return m;
      },
      async reject(ref, actor, reason) {
        const m = find(ref);
        m.status = "rejected";
        log.models.push(`reject ${m.name} by ${actor}: ${reason ?? ""}`);
        return m;
      },
      async rollback(actor) {
        const retired = [...modelsById.values()].filter((x) => x.status === "retired").pop();
        if (!retired) throw new CodedError("conflict", "there is no previous champion to roll back to");
        for (const x of modelsById.values()) if (x.status === "champion") x.status = "retired";
        retired.status = "champion";
        log.models.push(`rollback by ${actor}`);
        return retired;
      },
      async addFromBytes({ name, bytes, actor }) {
        if (bytes.length < 2 || bytes[0] !== ONNX_MAGIC[0]) {
          throw new CodedError("model_invalid", "not an ONNX model (the file does not start with an ONNX header)");
        }
        log.models.push(`add ${name} by ${actor}`);
        return add(name, "candidate", actor, bytes);
      },
    },
    experiments: {
      report: async () => ({
        generatedAt: now(),
        rows: [...modelsById.values()].map((m) => ({ model: m.name, status: m.status, auc: 0.8, brier: 0.1, n: 1000 })),
        summary: "no candidate beats the champion yet",
      }),
    },
    health: { components: async () => components },
    control: {
      state: async () => control,
      async pause(actor, reason) {
        control = { ...control, paused: true, pausedReason: reason, pausedBy: actor };
        log.control.push(`pause ${actor} ${reason}`);
        return control;
      },
      async resume(actor) {
        control = { ...control, paused: false, pausedReason: undefined, pausedBy: undefined };
        log.control.push(`resume ${actor}`);
        return control;
      },
      async setMode(mode: Mode, actor) {
        control = { ...control, mode };
        log.control.push(`mode ${mode} ${actor}`);
        return control;
      },
      // the fake gates on its own pause and mode only (tests of breakers and budgets use the real ControlService)
      async canApprove() {
        if (control.mode === "shadow")
          return { ok: false, code: "shadow_mode", reason: "shadow mode: `/spot mode approve`" };
        if (control.paused) return { ok: false, code: "paused", reason: "paused: `/spot resume`" };
        return { ok: true };
      },
      checklist: async () => [],
      async resetBreaker(accountId, actor) {
        log.control.push(`reset ${accountId} ${actor}`);
      },
    },
    fetchFile:
      o.fetchFile ??
      (async (url) => {
        log.fetched.push(url);
        throw new CodedError("not_found", `no file at ${url}`);
      }),
  };
}

/**
 * The model registry: add (validated, sha256, version per name), list, show, promote (atomic, audited,
 * remembers the previous champion), rollback, reject, shadow on/off. Exactly one champion at a time
 * (also enforced by the database's unique partial index).
 */
import { randomUUID } from "node:crypto";
import { CodedError } from "../errors.js";
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { ModelRecord, ModelRepository, ModelStatus } from "./model-repository.js";
import type { ModelSummary } from "./validate.js";

export interface ModelRegistryDeps {
  repo: ModelRepository;
  audit: AuditLog;
  clock: Clock;
  /** validateModel bound to its deps (describe, loader, maxBytes). */
  validate(bytes: Uint8Array): Promise<ModelSummary>;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

export function modelLabel(m: ModelRecord): string {
  return `${m.name} v${m.version} (${m.id})`;
}

export class ModelRegistry {
  constructor(private readonly deps: ModelRegistryDeps) {}

  async add(input: { bytes: Uint8Array; name: string; addedBy: string; metrics?: Record<string, unknown> }): Promise<{
    model: ModelRecord;
    summary: ModelSummary;
  }> {
    if (!NAME_RE.test(input.name)) {
      throw new CodedError(
        "invalid_input",
        `model name "${input.name}" is not valid: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      );
    }
    const summary = await this.deps.validate(input.bytes);
    const same = (await this.deps.repo.list({ name: input.name })).find((m) => m.sha256 === summary.sha256);
    if (same) {
      throw new CodedError(
        "conflict",
        `this file is already registered as ${modelLabel(same)} (sha256 ${summary.sha256.slice(0, 12)}…)`,
      );
    }
    const metrics = { ...parseEmbeddedMetrics(summary.metadata), ...(input.metrics ?? {}) };
    const model = await this.deps.repo.insert({
      id: randomUUID(),
      name: input.name,
      sha256: summary.sha256,
      sizeBytes: summary.sizeBytes,
      contractVersion: summary.contractVersion,
      featureNames: summary.featureNames,
      metrics,
      addedBy: input.addedBy,
      at: this.deps.clock.now(),
      content: input.bytes,
    });
    await this.audit(input.addedBy, "model.added", model, { sha256: model.sha256, sizeBytes: model.sizeBytes });
    return { model, summary };
  }

  list(filter?: { statuses?: ModelStatus[]; name?: string }): Promise<ModelRecord[]> {
    return this.deps.repo.list(filter);
  }

  /** By id, or "name@version", or "name" (its highest version). */
  async show(ref: string): Promise<ModelRecord> {
    const at = ref.lastIndexOf("@");
    if (at > 0) {
      const name = ref.slice(0, at);
      const version = Number(ref.slice(at + 1));
      const m = (await this.deps.repo.list({ name })).find((r) => r.version === version);
      if (m) return m;
    } else {
      const m = /^[0-9a-f-]{36}$/i.test(ref) ? await this.deps.repo.get(ref) : null;
      if (m) return m;
      const byName = await this.deps.repo.list({ name: ref });
      if (byName.length) return byName[byName.length - 1];
    }
    throw new CodedError("not_found", `no model "${ref}": run 'spotwise models list' to see the ids`);
  }

  async champion(): Promise<ModelRecord | null> {
    return (await this.deps.repo.list({ statuses: ["champion"] }))[0] ?? null;
  }

  shadows(): Promise<ModelRecord[]> {
    return this.deps.repo.list({ statuses: ["shadow"] });
  }

  /** The model that decides lab subjects tagged spotwise:model=NAME: the champion/shadow/candidate of that name with the highest version. */
  async forLabName(name: string): Promise<ModelRecord | null> {
    const rows = await this.deps.repo.list({ name, statuses: ["champion", "shadow", "candidate"] });
    return rows.sort((a, b) => b.version - a.version)[0] ?? null;
  }

  content(id: string): Promise<Uint8Array | null> {
    return this.deps.repo.content(id);
  }

  async promote(ref: string, actor: string): Promise<{ champion: ModelRecord; previous: ModelRecord | null }> {
    const target = await this.show(ref);
    if (target.status === "champion") {
      throw new CodedError("conflict", `${modelLabel(target)} is already the champion`);
    }
    if (target.status === "rejected") {
      throw new CodedError("conflict", `${modelLabel(target)} was rejected: add the file again to get a new candidate`);
    }
    const previous = await this.champion();
    const changes = [
      ...(previous ? [{ id: previous.id, from: "champion" as const, to: "retired" as const }] : []),
      { id: target.id, from: target.status, to: "champion" as const, previousChampionId: previous?.id ?? null },
    ];
    await this.deps.repo.transition(changes, this.deps.clock.now());
    const champion = await this.show(target.id);
    await this.audit(actor, "model.promoted", champion, {
      from: target.status,
      previousChampion: previous?.id ?? null,
    });
    return { champion, previous: previous ? await this.show(previous.id) : null };
  }

  /** Restores the champion before the current one; the current one is retired. */
  async rollback(actor: string): Promise<{ champion: ModelRecord; retired: ModelRecord }> {
    const current = await this.champion();
    if (!current) throw new CodedError("conflict", "there is no champion to roll back");
    if (!current.previousChampionId) {
      throw new CodedError("conflict", `${modelLabel(current)} has no previous champion to roll back to`);
    }
    const prev = await this.deps.repo.get(current.previousChampionId);
    if (!prev)
      throw new CodedError("not_found", `the previous champion ${current.previousChampionId} no longer exists`);
    if (prev.status === "rejected") {
      throw new CodedError(
        "conflict",
        `the previous champion ${modelLabel(prev)} was rejected: promote another model instead`,
      );
    }
    await this.deps.repo.transition(
      [
        { id: current.id, from: "champion", to: "retired" },
        { id: prev.id, from: prev.status, to: "champion" },
      ],
      this.deps.clock.now(),
    );
    const champion = await this.show(prev.id);
    await this.audit(actor, "model.rolled_back", champion, { retired: current.id });
    return { champion, retired: await this.show(current.id) };
  }

  async reject(ref: string, actor: string, reason?: string): Promise<ModelRecord> {
    const m = await this.show(ref);
    if (m.status === "champion") {
      throw new CodedError("conflict", `${modelLabel(m)} is the champion: promote another model or roll back first`);
    }
    if (m.status === "rejected") return m;
    await this.deps.repo.transition([{ id: m.id, from: m.status, to: "rejected" }], this.deps.clock.now());
    const out = await this.show(m.id);
    await this.audit(actor, "model.rejected", out, { from: m.status, reason: reason ?? null });
    return out;
  }

  /** Shadow on: scored every tick next to the champion; off: back to candidate. */
  async setShadow(ref: string, on: boolean, actor: string): Promise<ModelRecord> {
    const m = await this.show(ref);
    if (on && m.status === "shadow") return m;
    if (!on && m.status !== "shadow") return m;
    if (on && (m.status === "champion" || m.status === "rejected")) {
      throw new CodedError("conflict", `${modelLabel(m)} is ${m.status}: only candidate or retired models can shadow`);
    }
    await this.deps.repo.transition(
      [{ id: m.id, from: m.status, to: on ? "shadow" : "candidate" }],
      this.deps.clock.now(),
    );
    const out = await this.show(m.id);
    await this.audit(actor, on ? "model.shadow_on" : "model.shadow_off", out, { from: m.status });
    return out;
  }

  /**
   * First start: when no champion exists and nothing was ever registered under `name`, registers `bytes`
   * (the bundled models/default.onnx) and promotes it. Returns the champion, or null when there is none and
   * the operator's choices (a retired/rejected default) are to be kept.
   */
  async ensureChampion(bytes: Uint8Array, actor: string, name = "default"): Promise<ModelRecord | null> {
    const current = await this.champion();
    if (current) return current;
    if ((await this.deps.repo.list({ name })).length > 0) return null;
    const { model } = await this.add({ bytes, name, addedBy: actor });
    return (await this.promote(model.id, actor)).champion;
  }

  private audit(actor: string, action: string, m: ModelRecord, detail: Record<string, unknown>): Promise<void> {
    return this.deps.audit.record({
      at: this.deps.clock.now(),
      actor,
      action,
      subject: `model:${m.id}`,
      detail: { name: m.name, version: m.version, ...detail },
    });
  }
}

function parseEmbeddedMetrics(metadata: Record<string, string>): Record<string, unknown> {
  const raw = metadata["spotwise.validation_metrics"];
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === "object" ? { validation: v } : {};
  } catch {
    return {};
  }
}

/**
 * The model registry: add (validated; one registration per model identity, see lineage.ts; version per name),
 * list, show, promote (gated, atomic, audited, announced, remembers the previous champion), rollback, reject,
 * shadow on/off. Exactly one champion at a time (also enforced by the database's unique partial index).
 * Promote and rollback re-check the model file against the current contract before it may decide anything.
 */
import { randomUUID } from "node:crypto";
import { CodedError, errorMessage } from "../errors.js";
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { ModelDescription } from "./description.js";
import { modelIdentity } from "./lineage.js";
import type { ModelRecord, ModelRepository, ModelStatus, NewModel } from "./model-repository.js";
import type { GateVerdict, PromotionGate } from "./promotion-gate.js";
import { checkRunnable, parseEmbeddedMetrics } from "./runnable.js";
import { type ModelSummary, sha256Hex } from "./validate.js";

export interface ModelRegistryDeps {
  repo: ModelRepository;
  audit: AuditLog;
  clock: Clock;
  /** validateModel bound to its deps (describe, loader, maxBytes). */
  validate(bytes: Uint8Array): Promise<ModelSummary>;
  /** Reads a model file's header (ONNX: OnnxModelLoader.describe): identity of older rows, checks at promote/rollback. */
  describe?(bytes: Uint8Array): ModelDescription;
  /** Shadow time, outcomes and paired comparison a challenger needs before it may be promoted. */
  gate?: Pick<PromotionGate, "evaluate">;
  /** Posts a line to the team's channel (the notifier's alert). */
  announce?(text: string): Promise<void>;
}

export interface PromoteOptions {
  /** Override a refusal of the gate; needs a reason, audited and announced. */
  force?: boolean;
  reason?: string;
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
    await this.backfillIdentities();
    const same =
      (await this.deps.repo.findByIdentity(summary.identity)) ??
      (await this.deps.repo.list()).find((m) => m.sha256 === summary.sha256);
    if (same) {
      throw new CodedError(
        "conflict",
        `this model is already registered as ${modelLabel(same)}, status ${same.status} (identity ${summary.identity.slice(0, 12)}…: same graph and semantics${same.sha256 === summary.sha256 ? ", same bytes" : "; only volatile metadata such as trained_at differs"})`,
        { existing: same.id, identity: summary.identity },
      );
    }
    const model = await this.deps.repo.insert(
      this.newModel(input.bytes, input.name, input.addedBy, summary, input.metrics),
    );
    await this.audit(input.addedBy, "model.added", model, {
      sha256: model.sha256,
      identity: model.identity,
      sizeBytes: model.sizeBytes,
      lineage: model.lineage,
    });
    return { model, summary };
  }

  private newModel(
    bytes: Uint8Array,
    name: string,
    addedBy: string,
    summary: ModelSummary,
    metrics?: Record<string, unknown>,
  ): NewModel {
    return {
      id: randomUUID(),
      name,
      sha256: summary.sha256,
      sizeBytes: summary.sizeBytes,
      contractVersion: summary.contractVersion,
      featureNames: summary.featureNames,
      metrics: { ...parseEmbeddedMetrics(summary.metadata), ...(metrics ?? {}) },
      addedBy,
      at: this.deps.clock.now(),
      content: bytes,
      identity: summary.identity,
      lineage: { ...summary.lineage },
    };
  }

  /** Rows registered before identities existed get theirs from their stored file (once). */
  private async backfillIdentities(): Promise<void> {
    const describe = this.deps.describe;
    for (const m of await this.deps.repo.list()) {
      if (m.identity !== null) continue;
      const bytes = await this.deps.repo.content(m.id);
      if (!bytes) continue;
      let identity = sha256Hex(bytes);
      try {
        if (describe) identity = modelIdentity(describe(bytes), identity);
      } catch {
        // unreadable old file: its byte hash still recognises an exact copy
      }
      await this.deps.repo.setIdentity(m.id, identity);
    }
  }

  /** The checks every load makes, on the registered file (see runnable.ts); throws model_invalid saying why. */
  checkRunnable(m: ModelRecord): Promise<void> {
    return checkRunnable(m, this.deps.repo, this.deps.describe);
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

  async promote(
    ref: string,
    actor: string,
    opts: PromoteOptions = {},
  ): Promise<{ champion: ModelRecord; previous: ModelRecord | null; gate: GateVerdict | null; forced: boolean }> {
    const reason = opts.reason?.trim() ?? "";
    if (opts.force && !reason) {
      throw new CodedError(
        "invalid_input",
        "--force needs --reason TEXT: say why the gate is overridden (it is audited)",
      );
    }
    const target = await this.show(ref);
    if (target.status === "champion") {
      throw new CodedError("conflict", `${modelLabel(target)} is already the champion`);
    }
    if (target.status === "rejected") {
      throw new CodedError(
        "conflict",
        `${modelLabel(target)} was rejected: train or export a new model to get a candidate`,
      );
    }
    await this.checkRunnable(target);
    // look at the world again right before changing it: the champion now, the evidence now
    const previous = await this.champion();
    const gate = this.deps.gate ? await this.deps.gate.evaluate(target, previous) : null;
    const forced = !!gate && !gate.ok && !!opts.force;
    if (gate && !gate.ok && !opts.force) {
      throw new CodedError(
        "conflict",
        `promotion of ${modelLabel(target)} refused by the gate: ${gate.failures.join("; ")}. An admin may override it with a reason (CLI: spotwise models promote NAME --force --reason TEXT; Slack, admins only: /spot models promote NAME --force REASON), audited and announced`,
        { gate },
      );
    }
    const changes = [
      ...(previous ? [{ id: previous.id, from: "champion" as const, to: "retired" as const }] : []),
      { id: target.id, from: target.status, to: "champion" as const, previousChampionId: previous?.id ?? null },
    ];
    await this.deps.repo.transition(changes, this.deps.clock.now());
    const champion = await this.show(target.id);
    await this.audit(actor, forced ? "model.promoted_forced" : "model.promoted", champion, {
      from: target.status,
      previousChampion: previous?.id ?? null,
      forced,
      reason: reason || null,
      gate: gate
        ? {
            ok: gate.ok,
            failures: gate.failures,
            shadowHours: gate.shadowHours,
            outcomes: gate.outcomes,
            paired: gate.paired,
          }
        : null,
    });
    await this.tell(
      `:trophy: ${modelLabel(champion)} promoted to champion by ${actor}${previous ? ` (was ${modelLabel(previous)})` : ""}${forced ? ` — FORCED past the gate (${gate?.failures.join("; ")}); reason: ${reason}` : ""}`,
    );
    return { champion, previous: previous ? await this.show(previous.id) : null, gate, forced };
  }

  private async tell(text: string): Promise<void> {
    try {
      await this.deps.announce?.(text);
    } catch {
      // the audit trail has it; a channel hiccup must not undo a promotion
    }
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
    await this.checkRunnable(prev);
    await this.deps.repo.transition(
      [
        { id: current.id, from: "champion", to: "retired" },
        { id: prev.id, from: prev.status, to: "champion" },
      ],
      this.deps.clock.now(),
    );
    const champion = await this.show(prev.id);
    await this.audit(actor, "model.rolled_back", champion, { retired: current.id });
    await this.tell(
      `:leftwards_arrow_with_hook: ${actor} rolled back: ${modelLabel(champion)} is the champion again, ${modelLabel(current)} retired`,
    );
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
    if (current) return (await this.upgradeShipped(current, bytes, actor, name)) ?? current;
    if ((await this.deps.repo.list({ name })).length > 0) return null;
    const summary = await this.deps.validate(bytes);
    // one statement decides between processes started at once: exactly one seeds, the others read its champion
    const seeded = await this.deps.repo.insertSeedChampion(this.newModel(bytes, name, actor, summary));
    if (!seeded) return this.champion();
    await this.audit(actor, "model.added", seeded, { sha256: seeded.sha256, identity: seeded.identity, seeded: true });
    await this.audit(actor, "model.promoted", seeded, { from: "candidate", previousChampion: null, seeded: true });
    return seeded;
  }

  /**
   * An upgrade of spotwise can make the shipped champion's stored file fail the current load checks only because
   * its metadata is older (e.g. it predates the declared horizon and positive class). When the shipped file has the
   * SAME graph, it is registered and becomes the champion (audited), so the team keeps the model it had.
   */
  private async upgradeShipped(
    current: ModelRecord,
    bytes: Uint8Array,
    actor: string,
    name: string,
  ): Promise<ModelRecord | null> {
    const describe = this.deps.describe;
    if (current.name !== name || !describe) return null;
    try {
      await this.checkRunnable(current);
      return null;
    } catch (why) {
      const stored = await this.deps.repo.content(current.id);
      if (!stored) return null;
      let same = false;
      try {
        same = !!describe(stored).graphDigest && describe(stored).graphDigest === describe(bytes).graphDigest;
      } catch {
        same = false;
      }
      if (!same) return null;
      const summary = await this.deps.validate(bytes);
      let next = await this.deps.repo.findByIdentity(summary.identity);
      if (!next) {
        try {
          next = await this.deps.repo.insert(this.newModel(bytes, name, actor, summary));
          await this.audit(actor, "model.added", next, { sha256: next.sha256, identity: next.identity, upgrade: true });
        } catch (e) {
          next = await this.deps.repo.findByIdentity(summary.identity);
          if (!next) throw e;
        }
      }
      if (next.status === "champion") return next;
      try {
        await this.deps.repo.transition(
          [
            { id: current.id, from: "champion", to: "retired" },
            { id: next.id, from: next.status, to: "champion", previousChampionId: current.id },
          ],
          this.deps.clock.now(),
        );
      } catch (e) {
        // another process upgraded it at the same time
        if (e instanceof CodedError && e.code === "conflict") return this.champion();
        throw e;
      }
      const champion = await this.show(next.id);
      await this.audit(actor, "model.metadata_upgraded", champion, {
        replaced: current.id,
        why: errorMessage(why),
        sameGraph: true,
      });
      return champion;
    }
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

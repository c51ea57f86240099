/**
 * The models a tick runs: the champion, every shadow and the models named by lab subjects (instances tagged
 * spotwise:model=NAME). Each model is loaded once (one runner per model id) and kept until it is no longer
 * active; a model that fails to load is reported, not retried every tick until its record changes.
 */
import { errorMessage } from "../errors.js";
import type { ModelLoader, ModelRunner } from "../ports/model-runner.js";
import type { ModelRecord } from "./model-repository.js";
import { type ModelRegistry, modelLabel } from "./registry.js";

export interface ActiveModel {
  record: ModelRecord;
  runner: ModelRunner;
}

export interface ActiveSnapshot {
  champion: ActiveModel | null;
  shadows: ActiveModel[];
  /** Lab models by the name the instances' tag uses. */
  lab: Map<string, ActiveModel>;
  /** Why there is no usable champion (null when there is one). */
  fallbackReason: string | null;
  /** Models that could not be loaded, with why. */
  problems: string[];
}

export class ActiveModels {
  private readonly runners = new Map<string, ModelRunner>();
  private readonly failed = new Map<string, string>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly loader: ModelLoader,
  ) {}

  async refresh(labNames: readonly string[] = []): Promise<ActiveSnapshot> {
    const problems: string[] = [];
    const championRec = await this.registry.champion();
    const shadowRecs = await this.registry.shadows();
    const labRecs = new Map<string, ModelRecord>();
    for (const name of new Set(labNames)) {
      const rec = await this.registry.forLabName(name);
      if (rec) labRecs.set(name, rec);
      else problems.push(`lab model "${name}" is not registered (or rejected/retired): its subjects use the champion`);
    }
    const wanted = new Map<string, ModelRecord>();
    for (const r of [championRec, ...shadowRecs, ...labRecs.values()]) if (r) wanted.set(r.id, r);
    for (const [id, runner] of this.runners) {
      if (!wanted.has(id)) {
        this.runners.delete(id);
        await runner.close();
      }
    }
    for (const id of this.failed.keys()) if (!wanted.has(id)) this.failed.delete(id);
    const get = async (rec: ModelRecord): Promise<ActiveModel | null> => {
      const have = this.runners.get(rec.id);
      if (have) return { record: rec, runner: have };
      const known = this.failed.get(rec.id);
      if (known) {
        problems.push(known);
        return null;
      }
      try {
        const bytes = await this.registry.content(rec.id);
        if (!bytes) throw new Error("its file is missing from the registry");
        const runner = await this.loader.load({ modelId: rec.id, name: rec.name, bytes });
        this.runners.set(rec.id, runner);
        return { record: rec, runner };
      } catch (e) {
        const why = `${modelLabel(rec)} failed to load: ${errorMessage(e)}`;
        this.failed.set(rec.id, why);
        problems.push(why);
        return null;
      }
    };
    const champion = championRec ? await get(championRec) : null;
    const shadows: ActiveModel[] = [];
    for (const r of shadowRecs) {
      const m = await get(r);
      if (m) shadows.push(m);
    }
    const lab = new Map<string, ActiveModel>();
    for (const [name, r] of labRecs) {
      const m = await get(r);
      if (m) lab.set(name, m);
    }
    const fallbackReason = champion
      ? null
      : championRec
        ? `champion ${modelLabel(championRec)} failed to load`
        : "no champion model: promote one with 'spotwise models promote ID'";
    return { champion, shadows, lab, fallbackReason, problems };
  }

  async close(): Promise<void> {
    for (const r of this.runners.values()) await r.close();
    this.runners.clear();
  }
}

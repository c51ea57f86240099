/**
 * The models a tick runs: the champion, every shadow and the models named by lab subjects (instances tagged
 * spotwise:model=NAME). Each model is loaded once (one runner per model id) and kept until it is no longer
 * active; a model that fails to load is reported, not retried every tick until its record changes.
 *
 * Every load re-checks the file (the loader refuses a stale contract, feature names, horizon or class). When the
 * champion fails its checks, the last champion that loaded keeps deciding (in this process; at start, the
 * previous champion when it loads) and a health alert says why; only with neither does the heuristic decide.
 */
import { errorMessage } from "../errors.js";
import type { ModelLoader, ModelRunner } from "../ports/model-runner.js";
import { TrainingRanges } from "./lineage.js";
import type { ModelRecord } from "./model-repository.js";
import { type ModelRegistry, modelLabel } from "./registry.js";

export interface ActiveModel {
  record: ModelRecord;
  runner: ModelRunner;
  /** The drift guard of this model (null when it declares no training ranges). */
  ranges: TrainingRanges | null;
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
  /** Set when the registered champion failed its checks and an earlier champion decides instead. */
  standIn: string | null;
}

/** Where load failures of the champion are raised (HealthService satisfies it). */
export interface ModelHealth {
  ok(component: string, detail?: string | null): Promise<void>;
  fail(component: string, reason: string, status?: "degraded" | "down"): Promise<void>;
}

export class ActiveModels {
  private readonly runners = new Map<string, ActiveModel>();
  private readonly failed = new Map<string, string>();
  private lastGood: ActiveModel | null = null;
  private alerted: string | null = null;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly loader: ModelLoader,
    private readonly health?: ModelHealth,
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
    const get = async (rec: ModelRecord): Promise<ActiveModel | null> => {
      const have = this.runners.get(rec.id);
      if (have) return { ...have, record: rec };
      const known = this.failed.get(rec.id);
      if (known) {
        problems.push(known);
        return null;
      }
      try {
        const bytes = await this.registry.content(rec.id);
        if (!bytes) throw new Error("its file is missing from the registry");
        const runner = await this.loader.load({ modelId: rec.id, name: rec.name, bytes });
        const m: ActiveModel = { record: rec, runner, ranges: TrainingRanges.fromMetadata(runner.metadata ?? {}) };
        this.runners.set(rec.id, m);
        return m;
      } catch (e) {
        const why = `${modelLabel(rec)} failed to load: ${errorMessage(e)}`;
        this.failed.set(rec.id, why);
        problems.push(why);
        return null;
      }
    };

    let champion = championRec ? await get(championRec) : null;
    let standIn: string | null = null;
    if (championRec && !champion) {
      // keep the last champion that worked; at start, try the one before the registered champion
      let fallbackTo = this.lastGood && this.lastGood.record.id !== championRec.id ? this.lastGood : null;
      if (!fallbackTo && championRec.previousChampionId) {
        const prev = await this.registry.list().then((all) => all.find((r) => r.id === championRec.previousChampionId));
        if (prev && prev.status !== "rejected") fallbackTo = await get(prev);
      }
      if (fallbackTo) {
        champion = fallbackTo;
        standIn = `champion ${modelLabel(championRec)} failed its load checks: ${modelLabel(fallbackTo.record)}, the last good champion, keeps deciding`;
        problems.push(standIn);
      }
      const why = this.failed.get(championRec.id) ?? `champion ${modelLabel(championRec)} failed to load`;
      if (this.alerted !== championRec.id) {
        this.alerted = championRec.id;
        await this.health?.fail("model", standIn ? `${why}; ${standIn}` : `${why}; the heuristic decides`, "degraded");
      }
    } else if (champion) {
      this.lastGood = champion;
      if (this.alerted !== null) {
        this.alerted = null;
        await this.health?.ok("model", `champion ${modelLabel(champion.record)}`);
      }
    }

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
    const wanted = new Set<string>([...(champion ? [champion.record.id] : []), ...shadows.map((s) => s.record.id)]);
    for (const m of lab.values()) wanted.add(m.record.id);
    for (const r of [championRec, ...shadowRecs, ...labRecs.values()]) if (r) wanted.add(r.id);
    for (const [id, m] of this.runners) {
      if (!wanted.has(id)) {
        this.runners.delete(id);
        if (this.lastGood?.record.id === id) this.lastGood = null;
        await m.runner.close();
      }
    }
    for (const id of this.failed.keys()) if (!wanted.has(id)) this.failed.delete(id);

    const fallbackReason = champion
      ? null
      : championRec
        ? `champion ${modelLabel(championRec)} failed to load`
        : "no champion model: promote one with 'spotwise models promote ID'";
    return { champion, shadows, lab, fallbackReason, problems, standIn };
  }

  async close(): Promise<void> {
    for (const m of this.runners.values()) await m.runner.close();
    this.runners.clear();
    this.lastGood = null;
  }
}

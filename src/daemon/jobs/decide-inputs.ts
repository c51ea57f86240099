/**
 * What the decide tick carries from one tick to the next, so that a steady fleet on a steady market costs
 * little: the candidate pools of each instance shape, kept while the set of pools with market data is the same
 * (candidates depend only on that set, the catalog and the rules), and the market read of the pools that were
 * in play, started before the fleet is discovered so that the Redis round trip runs while EC2 is listed. A
 * pool that comes into play is read then; one that left is ignored. Both give exactly what a fresh computation
 * at the same `now` gives.
 */
import { readFeatureSeries } from "../../core/features/inputs.js";
import {
  BASE_TYPE_TAG,
  baseTypeOf,
  CandidateIndex,
  type CompatibleTypes,
  familyKey,
  type PoolEntry,
} from "../../core/policy/index.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import { type ManagedInstance, type PoolKey, parsePoolId, poolId } from "../../core/types.js";

export type FeatureSeries = Awaited<ReturnType<typeof readFeatureSeries>>;

/**
 * The candidates shared by instances alike in what candidates depend on. Instances of one family (familyKey())
 * whose current pool is among the family's listed pools share one object, whatever their current pool: their
 * candidate lists are equal.
 */
export interface ShapeCandidates {
  entries: PoolEntry[];
  pools: PoolKey[];
}

/**
 * What instances of one shape (shapeKey()) share: their candidates (the family's list, or their own), their
 * current pool's id and the base type that bounds the candidates. One object per shape, kept across ticks with
 * the candidates.
 */
export interface InstanceSlot {
  candidates: ShapeCandidates;
  currentId: string;
  baseType: string;
}

/** The key of what an instance's candidates depend on. */
export function shapeKey(inst: ManagedInstance): string {
  return `${inst.accountId}|${inst.region}|${inst.az}|${inst.instanceType}|${inst.tags[BASE_TYPE_TAG] ?? ""}|${inst.azFlexible}`;
}

export class DecideInputs {
  /** The pool ids the index was built on, in listing order, and the shapes computed on it. */
  private poolIds: string[] = [];
  private index: CandidateIndex | null = null;
  private shapes = new Map<string, InstanceSlot>();
  /** The listed pools of each family (familyKey()) on the same index, with their ids. */
  private families = new Map<string, ShapeCandidates & { ids: Set<string> }>();
  /** The pools in play at the last tick: read ahead at the next one. */
  private lastInPlay: string[] = [];

  constructor(private readonly types: CompatibleTypes) {}

  /**
   * Starts reading the last tick's pools at `now`; never rejects (a failed read ahead is read again by
   * `series`). Call before the fleet is discovered.
   */
  readAhead(market: MarketStore, now: number): Promise<{ ids: Set<string>; series: FeatureSeries } | null> {
    const ids = this.lastInPlay;
    if (ids.length === 0) return Promise.resolve(null);
    return readFeatureSeries(market, ids, now).then(
      (series) => ({ ids: new Set(ids), series }),
      () => null,
    );
  }

  /** The series of `ids` at `now`: what was read ahead, plus a read of the pools it did not cover. */
  async series(
    market: MarketStore,
    ids: string[],
    now: number,
    ahead: Promise<{ ids: Set<string>; series: FeatureSeries } | null>,
  ): Promise<FeatureSeries> {
    this.lastInPlay = ids;
    const pre = await ahead;
    if (!pre) return readFeatureSeries(market, ids, now);
    const missing = ids.filter((id) => !pre.ids.has(id));
    if (missing.length === 0) return pre.series;
    const more = await readFeatureSeries(market, missing, now);
    for (const [id, v] of more.prices) pre.series.prices.set(id, v);
    for (const [id, v] of more.capacity) pre.series.capacity.set(id, v);
    return pre.series;
  }

  /**
   * Starts listing the pools with market data of `regions` (the configured ones, before the fleet is known);
   * never rejects (a failed listing is listed again by `candidates`).
   */
  listAhead(market: MarketStore, regions: Iterable<string>): Map<string, Promise<string[] | null>> {
    const out = new Map<string, Promise<string[] | null>>();
    const wanted = new Set(regions);
    // one listing of every pool, split by region: each region's own listing would read the whole set again
    const all = wanted.size > 1 ? market.listPools().catch(() => null) : null;
    for (const r of wanted) {
      const prefix = `${r}/`;
      out.set(
        r,
        all
          ? all.then((ids) => ids?.filter((id) => id.startsWith(prefix)) ?? null)
          : market.listPools(r).catch(() => null),
      );
    }
    return out;
  }

  /** The pools with market data in every region of the fleet, in the fleet's region order. */
  private async listPools(
    market: MarketStore,
    instances: readonly ManagedInstance[],
    listed: Map<string, Promise<string[] | null>>,
  ): Promise<string[]> {
    const out: string[] = [];
    for (const region of new Set(instances.map((i) => i.region))) {
      out.push(...((await listed.get(region)) ?? (await market.listPools(region))));
    }
    return out;
  }

  /**
   * The candidates of every instance (one object per shape), on the pools listed now; the shapes of the last
   * tick are kept when the pool set did not change.
   */
  async candidates(
    market: MarketStore,
    instances: readonly ManagedInstance[],
    subnetAzs: (accountId: string) => ReadonlySet<string>,
    listed: Map<string, Promise<string[] | null>> = new Map(),
  ): Promise<InstanceSlot[]> {
    const ids = await this.listPools(market, instances, listed);
    if (!this.index || !sameList(ids, this.poolIds)) {
      this.index = new CandidateIndex(ids.map(parsePoolId), this.types);
      this.poolIds = ids;
      this.shapes = new Map();
      this.families = new Map();
    }
    const out: InstanceSlot[] = new Array(instances.length);
    // the shapes of this tick only are kept (a fleet that changes does not grow the memo)
    const used = new Map<string, InstanceSlot>();
    for (let n = 0; n < instances.length; n++) {
      const inst = instances[n];
      const key = shapeKey(inst);
      let shape = used.get(key) ?? this.shapes.get(key);
      if (!shape) {
        const currentId = poolId({ region: inst.region, az: inst.az, instanceType: inst.instanceType });
        shape = {
          candidates: this.shapeOf(this.index, inst, currentId, subnetAzs(inst.accountId)),
          currentId,
          baseType: baseTypeOf(inst),
        };
      }
      used.set(key, shape);
      out[n] = shape;
    }
    this.shapes = used;
    return out;
  }

  /** The family's object when the instance's current pool is listed in it, else the instance's own candidates. */
  private shapeOf(
    index: CandidateIndex,
    inst: ManagedInstance,
    currentId: string,
    subnetAzs: ReadonlySet<string>,
  ): ShapeCandidates {
    const key = familyKey(inst, subnetAzs);
    let family = this.families.get(key);
    if (!family) {
      const entries = index.listed({ instance: inst, subnetAzs });
      family = { entries, pools: entries.map((e) => e.pool), ids: new Set(entries.map((e) => e.id)) };
      this.families.set(key, family);
    }
    if (family.ids.has(currentId)) return family;
    const entries = index.entries({ instance: inst, subnetAzs });
    return { entries, pools: entries.map((e) => e.pool) };
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

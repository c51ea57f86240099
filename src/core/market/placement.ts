/**
 * Spot placement scores: GetSpotPlacementScores rates a SET of instance types per AZ, so spotwise asks once
 * for the set of candidate types of a region and gives every candidate pool in an AZ that AZ's score. Results
 * are cached (CacheStore, shared by replicas) because the API is rate-limited hard; a failure degrades to no
 * scores (the feature is NaN), logged, never thrown.
 */
import { errorMessage, isCodedError } from "../errors.js";
import type { Ec2Port } from "../ports/ec2.js";
import type { CacheStore } from "../ports/kv.js";
import type { PoolKey } from "../types.js";
import { poolId } from "../types.js";
import type { MarketLogger } from "./log.js";

export interface PlacementOptions {
  ttlMs: number;
  targetCapacity: number;
}

export class PlacementScores {
  private readonly opts: PlacementOptions;

  constructor(private readonly deps: { cache: CacheStore; log: MarketLogger; options?: Partial<PlacementOptions> }) {
    this.opts = { ttlMs: 60 * 60_000, targetCapacity: 1, ...deps.options };
  }

  /** AZ name → score for the set of `instanceTypes` in the port's region. */
  async scoresFor(port: Ec2Port, instanceTypes: string[]): Promise<Map<string, number>> {
    const types = [...new Set(instanceTypes)].sort();
    const out = new Map<string, number>();
    if (types.length === 0) return out;
    const key = `placement:${port.accountId}:${port.region}:${this.opts.targetCapacity}:${types.join(",")}`;
    const cached = await this.deps.cache.get(key);
    if (cached !== null) {
      for (const [az, score] of JSON.parse(cached) as Array<[string, number]>) out.set(az, score);
      return out;
    }
    try {
      const scores = await port.getSpotPlacementScores({
        instanceTypes: types,
        targetCapacity: this.opts.targetCapacity,
        singleAvailabilityZone: true,
      });
      for (const s of scores) if (s.az && Number.isFinite(s.score)) out.set(s.az, s.score);
      await this.deps.cache.set(key, JSON.stringify([...out]), this.opts.ttlMs);
    } catch (e) {
      this.deps.log.warn(
        {
          accountId: port.accountId,
          region: port.region,
          types: types.length,
          code: isCodedError(e) ? e.code : "internal",
          error: errorMessage(e),
        },
        "spot placement scores unavailable; the feature stays empty this tick",
      );
    }
    return out;
  }

  /** Score per pool id for candidate pools of the port's region (pools of other regions are ignored). */
  async forPools(port: Ec2Port, pools: PoolKey[]): Promise<Map<string, number>> {
    const mine = pools.filter((p) => p.region === port.region);
    const byAz = await this.scoresFor(
      port,
      mine.map((p) => p.instanceType),
    );
    const out = new Map<string, number>();
    for (const p of mine) {
      const s = byAz.get(p.az);
      if (s !== undefined) out.set(poolId(p), s);
    }
    return out;
  }
}

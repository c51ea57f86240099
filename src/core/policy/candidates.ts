/**
 * Candidate pools for a managed instance: instance types that can run its workload (same architecture,
 * GPU model and count, burstable flag; at least its vCPUs and memory, at most maxVcpuFactor × its vCPUs;
 * allow/deny lists of families), in its AZ, or in other AZs of its region only when the instance is
 * AZ-flexible and a subnet is known for the target AZ.
 */
import type { Catalog } from "../market/tables.js";
import type { InstanceTypeInfo, ManagedInstance, PoolKey } from "../types.js";
import { poolId } from "../types.js";

export interface CandidateRules {
  maxVcpuFactor: number;
  allowFamilies: readonly string[];
  denyFamilies: readonly string[];
}

/** "m5.large" → "m5". */
export function instanceFamily(instanceType: string): string {
  const dot = instanceType.indexOf(".");
  return dot < 0 ? instanceType : instanceType.slice(0, dot);
}

function archKey(t: InstanceTypeInfo): string {
  if (t.architectures.includes("arm64") || t.architectures.includes("arm64_mac")) {
    return t.architectures.includes("arm64_mac") ? "arm64_mac" : "arm64";
  }
  return t.architectures.includes("x86_64_mac") ? "x86_64_mac" : "x86_64";
}

/** True when `cand` can run what runs on `base` under the rules (family lists included). */
export function isCompatibleType(base: InstanceTypeInfo, cand: InstanceTypeInfo, rules: CandidateRules): boolean {
  if (cand.instanceType === base.instanceType) return true;
  if (archKey(cand) !== archKey(base)) return false;
  if (cand.gpuCount !== base.gpuCount || (cand.gpuModel ?? null) !== (base.gpuModel ?? null)) return false;
  if (cand.burstable !== base.burstable) return false;
  if (cand.vcpus < base.vcpus || cand.memoryMib < base.memoryMib) return false;
  if (cand.vcpus > rules.maxVcpuFactor * base.vcpus) return false;
  const fam = instanceFamily(cand.instanceType);
  if (rules.denyFamilies.includes(fam)) return false;
  if (rules.allowFamilies.length > 0 && !rules.allowFamilies.includes(fam)) return false;
  return true;
}

/** Instance types compatible with `baseType` (itself included), sorted by name. Unknown base: itself only. */
export function compatibleTypes(baseType: string, catalog: Catalog, rules: CandidateRules): string[] {
  const base = catalog.get(baseType);
  if (!base) return [baseType];
  const out: string[] = [];
  for (const t of catalog.values()) if (isCompatibleType(base, t, rules)) out.push(t.instanceType);
  if (!out.includes(baseType)) out.push(baseType);
  return out.sort();
}

/**
 * compatibleTypes() memoised per base type, for a process whose catalog and rules do not change (the daemon,
 * the replay): the scrape scope and every decide tick ask for the same few hundred base types each tick. Built
 * once by the composition root; each base type's list is computed once, by compatibleTypes() itself.
 */
export class CompatibleTypes {
  private readonly memo = new Map<string, readonly string[]>();

  constructor(
    private readonly catalog: Catalog,
    private readonly rules: CandidateRules,
  ) {}

  /** compatibleTypes(baseType, catalog, rules), computed once per base type (do not mutate). */
  of(baseType: string): readonly string[] {
    let out = this.memo.get(baseType);
    if (!out) {
      out = compatibleTypes(baseType, this.catalog, this.rules);
      this.memo.set(baseType, out);
    }
    return out;
  }
}

export interface CandidateQuery {
  instance: Pick<ManagedInstance, "region" | "az" | "instanceType" | "azFlexible" | "tags">;
  /** Pools that exist (have market data), any region; the current pool is always kept. */
  pools: Iterable<PoolKey>;
  catalog: Catalog;
  rules: CandidateRules;
  /** AZs with a subnet known for the instance's account (AZ moves need one). */
  subnetAzs?: ReadonlySet<string>;
  /** Allow every AZ of the region regardless of azFlexible and subnets (the backtester does). */
  anyAz?: boolean;
}

/** Tag naming the instance type whose requirements bound the candidates, so moves never drift upwards. */
export const BASE_TYPE_TAG = "spotwise:base-type";

/** The type whose requirements bound the candidates: tag spotwise:base-type, else the current type. */
export function baseTypeOf(instance: Pick<ManagedInstance, "instanceType" | "tags">): string {
  return instance.tags[BASE_TYPE_TAG] || instance.instanceType;
}

/**
 * What listed() depends on besides the index: instances with the same key have the same listed pools (the
 * account's subnets, the region, the base type and the AZs allowed: the instance's own, or with `azFlexible`
 * those with a subnet plus its own). `subnetAzs`: as in CandidateQuery.
 */
export function familyKey(
  instance: Pick<ManagedInstance, "accountId" | "region" | "az" | "instanceType" | "azFlexible" | "tags">,
  subnetAzs: ReadonlySet<string>,
): string {
  const azs = instance.azFlexible ? (subnetAzs.has(instance.az) ? "*" : `*+${instance.az}`) : instance.az;
  return `${instance.accountId}|${instance.region}|${baseTypeOf(instance)}|${azs}`;
}

/** A pool with its id (poolId()). */
export interface PoolEntry {
  id: string;
  pool: PoolKey;
}

const byId = (a: PoolEntry, b: PoolEntry): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The pools of a tick indexed by region and instance type: the candidates of each instance come from the few
 * (region, type) lists of its compatible types (CompatibleTypes, memoised for the process) instead of a scan of
 * every pool and of the whole catalog. One index serves every instance of the tick.
 */
export class CandidateIndex {
  private readonly byRegionType = new Map<string, PoolEntry[]>();

  constructor(
    pools: Iterable<PoolKey>,
    private readonly types: CompatibleTypes,
  ) {
    const seen = new Set<string>();
    for (const p of pools) {
      const id = poolId(p);
      if (seen.has(id)) continue;
      seen.add(id);
      const key = `${p.region}|${p.instanceType}`;
      const entry = { id, pool: { region: p.region, az: p.az, instanceType: p.instanceType } };
      const list = this.byRegionType.get(key);
      if (list) list.push(entry);
      else this.byRegionType.set(key, [entry]);
    }
  }

  /**
   * The listed pools of the instance's compatible types in the AZs it may use, sorted by pool id: its candidates
   * but for its current pool, which entries() always adds. Instances of one familyKey() get the same list.
   */
  listed(q: Omit<CandidateQuery, "pools" | "catalog" | "rules">): PoolEntry[] {
    const { instance } = q;
    const azOk = (az: string): boolean =>
      az === instance.az || q.anyAz === true || (instance.azFlexible && (q.subnetAzs?.has(az) ?? false));
    const out: PoolEntry[] = [];
    for (const t of this.types.of(baseTypeOf(instance))) {
      const list = this.byRegionType.get(`${instance.region}|${t}`);
      if (!list) continue;
      for (const e of list) if (azOk(e.pool.az)) out.push(e);
    }
    return out.sort(byId);
  }

  /** Candidate pools with their ids, sorted by pool id; the instance's current pool is included. */
  entries(q: Omit<CandidateQuery, "pools" | "catalog" | "rules">): PoolEntry[] {
    const { instance } = q;
    const current: PoolKey = { region: instance.region, az: instance.az, instanceType: instance.instanceType };
    const currentId = poolId(current);
    const out = this.listed(q);
    if (out.some((e) => e.id === currentId)) return out;
    out.push({ id: currentId, pool: current });
    return out.sort(byId);
  }

  /** Candidate pools sorted by pool id; the instance's current pool is included. */
  candidates(q: Omit<CandidateQuery, "pools" | "catalog" | "rules">): PoolKey[] {
    return this.entries(q).map((e) => e.pool);
  }
}

/** Candidate pools sorted by pool id; the instance's current pool is included. */
export function candidatePools(q: CandidateQuery): PoolKey[] {
  return new CandidateIndex(q.pools, new CompatibleTypes(q.catalog, q.rules)).candidates(q);
}

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

/** Candidate pools sorted by pool id; the instance's current pool is included. */
export function candidatePools(q: CandidateQuery): PoolKey[] {
  const { instance } = q;
  const types = new Set(compatibleTypes(baseTypeOf(instance), q.catalog, q.rules));
  const azOk = (az: string): boolean =>
    az === instance.az || q.anyAz === true || (instance.azFlexible && (q.subnetAzs?.has(az) ?? false));
  const seen = new Map<string, PoolKey>();
  const current: PoolKey = { region: instance.region, az: instance.az, instanceType: instance.instanceType };
  seen.set(poolId(current), current);
  for (const p of q.pools) {
    if (p.region !== instance.region || !types.has(p.instanceType) || !azOk(p.az)) continue;
    const id = poolId(p);
    if (!seen.has(id)) seen.set(id, { region: p.region, az: p.az, instanceType: p.instanceType });
  }
  return [...seen.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

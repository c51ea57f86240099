import { type PoolKey, parsePoolId } from "../../core/types.js";

/** A pool stored in a JSON column: a PoolKey object (the saga's targets) or a pool id string; null otherwise. */
export function poolOf(v: unknown): PoolKey | null {
  if (typeof v === "string") {
    try {
      return parsePoolId(v);
    } catch {
      return null;
    }
  }
  if (v && typeof v === "object") {
    const p = v as Partial<PoolKey>;
    if (typeof p.region === "string" && typeof p.az === "string" && typeof p.instanceType === "string") {
      return { region: p.region, az: p.az, instanceType: p.instanceType };
    }
  }
  return null;
}

/**
 * The backtest fleet: `--fleet` CSV (instance_id,region,az,instance_type) or, by default, one instance per
 * (region, instance type) with an on-demand price, in the alphabetically first AZ with a price at hour 0.
 * Each instance gets its candidate pools (compatible types, every AZ of its region) as grid indices.
 */
import { CodedError } from "../errors.js";
import type { Catalog, OnDemandTable } from "../market/tables.js";
import { readCsv, tableKey } from "../market/tables.js";
import { CandidateIndex, type CandidateRules, CompatibleTypes } from "../policy/candidates.js";
import { poolId } from "../types.js";
import type { PriceGrid } from "./grid.js";

export interface FleetSpec {
  instanceId: string;
  region: string;
  az: string;
  instanceType: string;
  /** May move to another AZ of its region (CSV column az_flexible, optional; default true). */
  azFlexible?: boolean;
}

export interface BacktestInstance extends FleetSpec {
  /** Grid index of the pool it starts in. */
  startPool: number;
  /** On-demand price of its (original) type, USD/h. */
  odPrice: number;
  /** Grid indices of its candidate pools (start pool included), in pool id order. */
  candidates: Int32Array;
}

export interface SkippedInstance {
  spec: FleetSpec;
  reason: string;
}

export function parseFleetCsv(text: string, source: string): FleetSpec[] {
  const rows = readCsv(text, source, ["instance_id", "region", "az", "instance_type"]);
  const seen = new Set<string>();
  return rows.map((r) => {
    const base = {
      instanceId: r.get("instance_id"),
      region: r.get("region"),
      az: r.get("az"),
      instanceType: r.get("instance_type"),
    };
    for (const [k, v] of Object.entries(base)) {
      if (!v) throw new CodedError("invalid_input", `${source}: line ${r.line}: empty ${k}`);
    }
    const flex = (optionalCell(r, "az_flexible") ?? "").trim().toLowerCase();
    if (flex !== "" && flex !== "true" && flex !== "false") {
      throw new CodedError(
        "invalid_input",
        `${source}: line ${r.line}: az_flexible must be true or false, got "${flex}"`,
      );
    }
    const spec: FleetSpec = flex === "" ? base : { ...base, azFlexible: flex === "true" };
    if (seen.has(spec.instanceId)) {
      throw new CodedError("invalid_input", `${source}: line ${r.line}: duplicate instance_id ${spec.instanceId}`);
    }
    seen.add(spec.instanceId);
    return spec;
  });
}

export function defaultFleet(grid: PriceGrid, onDemand: OnDemandTable): FleetSpec[] {
  const firstAz = new Map<string, string>();
  grid.pools.forEach((p, i) => {
    if (!onDemand.has(tableKey(p.region, p.instanceType))) return;
    if (Number.isNaN(grid.price[i * grid.hours])) return;
    const k = tableKey(p.region, p.instanceType);
    const cur = firstAz.get(k);
    if (cur === undefined || p.az < cur) firstAz.set(k, p.az);
  });
  return [...firstAz.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, az]) => {
      const [region, instanceType] = k.split("|");
      return { instanceId: `bt-${region}-${instanceType}`, region, az, instanceType };
    });
}

export function buildFleet(
  specs: readonly FleetSpec[],
  grid: PriceGrid,
  tables: { onDemand: OnDemandTable; catalog: Catalog },
  rules: CandidateRules,
): { instances: BacktestInstance[]; skipped: SkippedInstance[] } {
  const instances: BacktestInstance[] = [];
  const skipped: SkippedInstance[] = [];
  // one index of the grid's pools for the whole fleet (candidatePools() would index them again per instance)
  const index = new CandidateIndex(grid.pools, new CompatibleTypes(tables.catalog, rules));
  for (const spec of specs) {
    const odPrice = tables.onDemand.get(tableKey(spec.region, spec.instanceType));
    if (odPrice === undefined) {
      skipped.push({ spec, reason: `no on-demand price for ${spec.instanceType} in ${spec.region}` });
      continue;
    }
    const startPool = grid.index.get(poolId(spec));
    if (startPool === undefined || Number.isNaN(grid.price[startPool * grid.hours])) {
      skipped.push({ spec, reason: `pool ${poolId(spec)} has no price at the start of the replay` });
      continue;
    }
    const flexible = spec.azFlexible !== false;
    const entries = index.entries({ instance: { ...spec, azFlexible: flexible, tags: {} }, anyAz: flexible });
    const idx: number[] = [];
    for (const e of entries) {
      const i = grid.index.get(e.id);
      if (i !== undefined) idx.push(i);
    }
    instances.push({ ...spec, startPool, odPrice, candidates: Int32Array.from(idx) });
  }
  return { instances, skipped };
}

/** A cell of an optional column, undefined when the file has no such column. */
function optionalCell(r: { get(col: string): string }, col: string): string | undefined {
  try {
    return r.get(col);
  } catch {
    return undefined;
  }
}

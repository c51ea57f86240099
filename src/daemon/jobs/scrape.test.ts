import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../adapters/tables/index.js";
import type { FleetTypesReader } from "../../core/fleet/discovery.js";
import {
  BASE_TYPE_TAG,
  baseTypeOf,
  CompatibleTypes,
  compatibleTypes,
  DEFAULT_POLICY_SETTINGS,
} from "../../core/policy/index.js";
import type { ManagedInstance } from "../../core/types.js";
import { type ScrapeDeps, ScrapeJob } from "./scrape.js";

function inst(instanceId: string, instanceType: string, tags: Record<string, string> = {}): ManagedInstance {
  return {
    instanceId,
    accountId: "sim",
    region: "us-east-1",
    az: "us-east-1a",
    instanceType,
    lifecycle: "spot",
    azFlexible: true,
    tags,
  };
}

describe("scrape scope", () => {
  it("is every type the fleet runs or could move to: each instance's type and its base type's compatible types", async () => {
    const catalog = await loadCatalog();
    const fleet = [
      inst("i-1", "m5.large"),
      inst("i-2", "m5.large"),
      // moved up from its base type: scoped by the base type's compatible types, and its own type
      inst("i-3", "m5a.xlarge", { [BASE_TYPE_TAG]: "m5.large" }),
      inst("i-4", "g4dn.xlarge"),
      inst("i-5", "x9.unknown"),
    ];
    // the fleet's (type, base type) pairs, as the fleet table gives them (one per pair)
    const pairs = new Map(fleet.map((i) => [`${i.instanceType} ${baseTypeOf(i)}`, i]));
    const fleetTypes: FleetTypesReader = {
      typesInUse: async () =>
        [...pairs.values()].map((i) => ({ instanceType: i.instanceType, baseType: baseTypeOf(i) })),
    };
    // scope() reads the fleet's types and the compatible types only
    const deps = { fleetTypes, types: new CompatibleTypes(catalog, DEFAULT_POLICY_SETTINGS) } as unknown as ScrapeDeps;
    const job = new ScrapeJob(deps);
    const expected = new Set<string>();
    for (const i of fleet) {
      expected.add(i.instanceType);
      for (const t of compatibleTypes(i.tags[BASE_TYPE_TAG] || i.instanceType, catalog, DEFAULT_POLICY_SETTINGS)) {
        expected.add(t);
      }
    }
    const scope = await job.scope();
    expect(scope).toEqual([...expected].sort());
    expect(scope).toContain("m5a.xlarge");
    expect(scope).toContain("x9.unknown");
    // asked again with the memo warm: the same scope
    expect(await job.scope()).toEqual(scope);
  });
});

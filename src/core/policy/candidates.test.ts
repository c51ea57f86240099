import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../adapters/tables/index.js";
import type { Catalog } from "../market/tables.js";
import type { InstanceTypeInfo, PoolKey } from "../types.js";
import { poolId } from "../types.js";
import {
  BASE_TYPE_TAG,
  CompatibleTypes,
  candidatePools,
  compatibleTypes,
  instanceFamily,
  isCompatibleType,
} from "./candidates.js";
import { DEFAULT_POLICY_SETTINGS } from "./settings.js";

function t(
  instanceType: string,
  vcpus: number,
  memGib: number,
  over: Partial<InstanceTypeInfo> = {},
): InstanceTypeInfo {
  return {
    instanceType,
    vcpus,
    memoryMib: memGib * 1024,
    architectures: ["x86_64"],
    gpuCount: 0,
    gpuModel: null,
    burstable: false,
    currentGeneration: true,
    ...over,
  };
}

const catalog: Catalog = new Map(
  [
    t("m5.large", 2, 8),
    t("m5a.large", 2, 8),
    t("c5.large", 2, 4), // less memory
    t("r5.large", 2, 16),
    t("m5.xlarge", 4, 16), // 2× vCPUs: allowed
    t("m5.2xlarge", 8, 32), // 4× vCPUs: too big
    t("m6g.large", 2, 8, { architectures: ["arm64"] }),
    t("t3.large", 2, 8, { burstable: true }),
    t("g4dn.xlarge", 4, 16, { gpuCount: 1, gpuModel: "NVIDIA T4" }),
    t("g4dn.2xlarge", 8, 32, { gpuCount: 1, gpuModel: "NVIDIA T4" }),
    t("p3.2xlarge", 8, 61, { gpuCount: 1, gpuModel: "NVIDIA V100" }),
    t("m4.large", 2, 8, { architectures: ["x86_64", "i386"] }),
  ].map((x) => [x.instanceType, x]),
);
const rules = { maxVcpuFactor: 2, allowFamilies: [] as string[], denyFamilies: [] as string[] };

describe("compatible types", () => {
  it("keeps same arch, GPU and burstable flag, at least the vCPUs and memory, at most maxVcpuFactor × vCPUs", () => {
    expect(compatibleTypes("m5.large", catalog, rules)).toEqual([
      "m4.large",
      "m5.large",
      "m5.xlarge",
      "m5a.large",
      "r5.large",
    ]);
    expect(compatibleTypes("m5.large", catalog, { ...rules, maxVcpuFactor: 4 })).toContain("m5.2xlarge");
  });

  it("matches GPU model and count, and the burstable flag", () => {
    expect(compatibleTypes("g4dn.xlarge", catalog, { ...rules, maxVcpuFactor: 2 })).toEqual([
      "g4dn.2xlarge",
      "g4dn.xlarge",
    ]);
    expect(compatibleTypes("t3.large", catalog, rules)).toEqual(["t3.large"]);
    expect(isCompatibleType(catalog.get("m5.large")!, catalog.get("m6g.large")!, rules)).toBe(false);
  });

  it("applies allow and deny lists of families", () => {
    expect(compatibleTypes("m5.large", catalog, { ...rules, denyFamilies: ["m4", "r5"] })).toEqual([
      "m5.large",
      "m5.xlarge",
      "m5a.large",
    ]);
    expect(compatibleTypes("m5.large", catalog, { ...rules, allowFamilies: ["m5"] })).toEqual([
      "m5.large",
      "m5.xlarge",
    ]);
    expect(instanceFamily("m5.large")).toBe("m5");
  });

  it("keeps only the type itself when the catalog does not know it", () => {
    expect(compatibleTypes("x9.huge", catalog, rules)).toEqual(["x9.huge"]);
  });
});

describe("compatible types memoised (CompatibleTypes)", () => {
  const ruleSets = [
    rules,
    { ...rules, maxVcpuFactor: 4 },
    { ...rules, denyFamilies: ["m4", "r5"] },
    { ...rules, allowFamilies: ["m5", "g4dn"] },
  ];

  it("gives compatibleTypes' list for every base type of the catalog, unknown ones too, under every rule set", () => {
    for (const r of ruleSets) {
      const memo = new CompatibleTypes(catalog, r);
      for (const base of [...catalog.keys(), "x9.huge"]) {
        expect(memo.of(base)).toEqual(compatibleTypes(base, catalog, r));
        // asked again: the same list, not recomputed
        expect(memo.of(base)).toBe(memo.of(base));
      }
    }
  });

  it("gives compatibleTypes' list for every type of the bundled catalog under the default rules", async () => {
    const bundled = await loadCatalog();
    const memo = new CompatibleTypes(bundled, DEFAULT_POLICY_SETTINGS);
    for (const base of bundled.keys())
      expect(memo.of(base)).toEqual(compatibleTypes(base, bundled, DEFAULT_POLICY_SETTINGS));
  });
});

describe("candidate pools", () => {
  const pools: PoolKey[] = [];
  for (const az of ["us-east-1a", "us-east-1b", "us-east-1c"]) {
    for (const type of ["m5.large", "m5a.large", "c5.large", "m5.2xlarge"])
      pools.push({ region: "us-east-1", az, instanceType: type });
  }
  pools.push({ region: "us-west-2", az: "us-west-2a", instanceType: "m5.large" });
  const inst = { region: "us-east-1", az: "us-east-1a", instanceType: "m5.large", azFlexible: false, tags: {} };
  const ids = (ps: PoolKey[]) => ps.map(poolId);

  it("stays in the instance's AZ unless it is AZ-flexible with a subnet for the target AZ", () => {
    expect(ids(candidatePools({ instance: inst, pools, catalog, rules }))).toEqual([
      "us-east-1/us-east-1a/m5.large",
      "us-east-1/us-east-1a/m5a.large",
    ]);
    const flexible = { ...inst, azFlexible: true };
    expect(
      ids(candidatePools({ instance: flexible, pools, catalog, rules, subnetAzs: new Set(["us-east-1c"]) })),
    ).toEqual([
      "us-east-1/us-east-1a/m5.large",
      "us-east-1/us-east-1a/m5a.large",
      "us-east-1/us-east-1c/m5.large",
      "us-east-1/us-east-1c/m5a.large",
    ]);
    // a subnet alone is not enough: the instance must be AZ-flexible
    expect(candidatePools({ instance: inst, pools, catalog, rules, subnetAzs: new Set(["us-east-1c"]) })).toHaveLength(
      2,
    );
  });

  it("allows every AZ of the region for the backtester, never another region", () => {
    const all = ids(candidatePools({ instance: inst, pools, catalog, rules, anyAz: true }));
    expect(all).toHaveLength(6);
    expect(all.every((id) => id.startsWith("us-east-1/"))).toBe(true);
  });

  it("bounds candidates by the base-type tag so repeated moves never drift upwards", () => {
    const moved = { ...inst, instanceType: "m5.xlarge", tags: { [BASE_TYPE_TAG]: "m5.large" } };
    const got = ids(candidatePools({ instance: moved, pools, catalog, rules: DEFAULT_POLICY_SETTINGS }));
    expect(got).toEqual([
      "us-east-1/us-east-1a/m5.large",
      "us-east-1/us-east-1a/m5.xlarge",
      "us-east-1/us-east-1a/m5a.large",
    ]);
  });
});

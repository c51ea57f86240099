import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { TAG_REPLACES } from "../../core/fleet/discovery.js";
import { BASE_TYPE_TAG, baseTypeOf } from "../../core/policy/candidates.js";
import type { ManagedInstance } from "../../core/types.js";
import { DbFleetStore } from "./fleet-repo.js";
import { DbFleetTypes } from "./fleet-types.js";

const inst = (instanceId: string, instanceType: string, tags: Record<string, string> = {}): ManagedInstance => ({
  instanceId,
  accountId: "111111111111",
  region: "us-east-1",
  az: "us-east-1a",
  instanceType,
  lifecycle: "spot",
  azFlexible: true,
  tags,
});

describe(`fleet types in use on ${backendLabel()}`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => db?.dispose());

  it("gives each (type, base type) pair of the running fleet once, as read from the whole fleet", async () => {
    const store = new DbFleetStore(db);
    const types = new DbFleetTypes(db);
    expect(await types.typesInUse()).toEqual([]);
    await store.sync(
      "111111111111",
      "us-east-1",
      [
        inst("i-a", "m5.large"),
        inst("i-b", "m5.large"),
        inst("i-c", "c5.large", { [BASE_TYPE_TAG]: "" }),
        inst("i-d", "r5.large"),
      ],
      1_000,
    );
    await store.sync("111111111111", "us-west-2", [{ ...inst("i-e", "m5.xlarge"), region: "us-west-2" }], 1_000);
    // a switch: i-d's replacement runs another type and inherits its base type; i-d is gone
    await store.sync(
      "111111111111",
      "us-east-1",
      [
        inst("i-a", "m5.large"),
        inst("i-b", "m5.large"),
        inst("i-c", "c5.large", { [BASE_TYPE_TAG]: "" }),
        inst("i-f", "r5a.large", { [TAG_REPLACES]: "i-d" }),
      ],
      2_000,
    );
    const fromFleet = new Map<string, { instanceType: string; baseType: string }>();
    for (const i of await store.list()) {
      fromFleet.set(`${i.instanceType} ${baseTypeOf(i)}`, { instanceType: i.instanceType, baseType: baseTypeOf(i) });
    }
    const got = await types.typesInUse();
    expect(got).toEqual(
      [...fromFleet.values()].sort((a, b) =>
        a.instanceType === b.instanceType
          ? a.baseType.localeCompare(b.baseType)
          : a.instanceType.localeCompare(b.instanceType),
      ),
    );
    expect(got).toContainEqual({ instanceType: "r5a.large", baseType: "r5.large" });
    expect(got).toContainEqual({ instanceType: "c5.large", baseType: "c5.large" });
    expect(got.some((t) => t.instanceType === "r5.large")).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { PolicyConfig } from "../../config/schema.js";
import { DEFAULT_POLICY_SETTINGS, type PolicySettings } from "./settings.js";

describe("policy settings", () => {
  it("match the defaults of the PolicyConfig schema, and the inferred type fits the core interface", () => {
    const parsed: PolicySettings = PolicyConfig.parse({});
    expect(parsed).toEqual({ ...DEFAULT_POLICY_SETTINGS });
  });
});

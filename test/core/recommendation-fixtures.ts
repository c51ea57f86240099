/** Shared test data: a typical SWITCH decision. */
import type { Decision } from "../../src/core/types.js";

export function switchDecision(instanceId = "i-0abc", overrides: Partial<Decision> = {}): Decision {
  return {
    action: "SWITCH",
    instanceId,
    accountId: "123456789012",
    from: { region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" },
    to: { region: "us-east-1", az: "us-east-1b", instanceType: "m5a.large" },
    savingPerHour: 0.031,
    savingPerMonth: 22.63,
    riskFrom: 0.12,
    riskTo: 0.03,
    modelName: "gbt-v3",
    modelId: "5b0a4a7e-6a8e-4a5c-8a43-0d1b1f9d2c11",
    confidence: 0.91,
    fallback: false,
    strategy: "cheapest-safe",
    reasons: ["price 38% lower", "interruption risk 0.12 → 0.03"],
    alternatives: [{ region: "us-east-1", az: "us-east-1c", instanceType: "m5a.large" }],
    ...overrides,
  };
}

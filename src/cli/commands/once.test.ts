import { describe, expect, it } from "vitest";
import type { Decision } from "../../core/types.js";
import { decisionLine } from "./once.js";

const from = { region: "eu-west-1", az: "eu-west-1c", instanceType: "p3.16xlarge" };
const to = { region: "eu-west-1", az: "eu-west-1a", instanceType: "p3.16xlarge" };
const base: Decision = {
  action: "SWITCH",
  instanceId: "i-0new",
  managedId: "i-0first",
  accountId: "111122223333",
  from,
  to,
  savingPerHour: 2.1,
  savingPerMonth: 1533,
  priceSavingPerHour: 2.2,
  priceSavingPerMonth: 1606,
  riskFrom: 3.4e-4,
  riskTo: 1.7e-4,
  riskFromSource: "advisor",
  riskToSource: "observed",
  modelName: null,
  modelId: null,
  confidence: null,
  fallback: true,
  strategy: "payback",
  reasons: ["eu-west-1/eu-west-1a/p3.16xlarge pays back the switch in 3 h"],
  alternatives: [],
};

describe("decide --once output", () => {
  it("names pools, the managed instance, the price saving per month and the risk with its unit and source", () => {
    expect(decisionLine(base)).toBe(
      "i-0new (managed i-0first) SWITCH eu-west-1c → eu-west-1a, p3.16xlarge: saves $1,606.00/month at today's prices; " +
        "risk 0.034 %/h → 0.017 %/h (observed); p3.16xlarge in eu-west-1a pays back the switch in 3 h",
    );
  });

  it("a STAY shows where it runs and its risk, no saving and no raw pool id", () => {
    const line = decisionLine({
      ...base,
      action: "STAY",
      managedId: undefined,
      to: null,
      riskTo: null,
      riskToSource: null,
      priceSavingPerMonth: 0,
      reasons: ["no candidate cheaper than eu-west-1/eu-west-1c/p3.16xlarge"],
    });
    expect(line).toBe(
      "i-0new STAY p3.16xlarge in eu-west-1c: risk 0.034 %/h (advisor); no candidate cheaper than p3.16xlarge in eu-west-1c",
    );
  });
});

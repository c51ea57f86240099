/** Builders for policy tests: an instance, quotes and a PolicyInput with sensible defaults. */

import { DEFAULT_POLICY_SETTINGS, type PolicySettings } from "../../src/core/policy/settings.js";
import type { CandidateQuote, PolicyInput } from "../../src/core/policy/types.js";
import type { ManagedInstance, PoolKey } from "../../src/core/types.js";
import { poolId } from "../../src/core/types.js";

export const HOUR = 3_600_000;
export const NOW = Date.UTC(2026, 10, 28, 12);

export function instance(over: Partial<ManagedInstance> = {}): ManagedInstance {
  return {
    instanceId: "i-0abc",
    accountId: "123456789012",
    region: "us-east-1",
    az: "us-east-1a",
    instanceType: "m5.large",
    lifecycle: "spot",
    azFlexible: true,
    tags: {},
    ...over,
  };
}

export function pool(az: string, instanceType: string): PoolKey {
  return { region: "us-east-1", az, instanceType };
}

export function quote(p: PoolKey, price: number, risk = 0.0001, confidence: number | null = 0.9): CandidateQuote {
  return { pool: p, id: poolId(p), price, risk, confidence };
}

/** m5.large (OD 0.096) in us-east-1a at 0.04/h; candidates are given by the test. */
export function input(over: Partial<PolicyInput> & { settings?: Partial<PolicySettings> } = {}): PolicyInput {
  const { settings, ...rest } = over;
  return {
    instance: instance(),
    now: NOW,
    history: { lastSwitchAt: null, switchesPastWeek: 0 },
    current: { price: 0.04, risk: 0.0001, confidence: 0.9 },
    candidates: [],
    onDemandPrice: 0.096,
    fleet: { switchingNow: 0, fleetSize: 10 },
    config: { ...DEFAULT_POLICY_SETTINGS, ...settings },
    model: { name: "champion", id: "m-1" },
    ...rest,
  };
}

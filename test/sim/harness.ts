/**
 * Wires a SwitchSagaRunner over a SimCloud: used by the demo, `SPOTWISE_CLOUD=sim` and the tests.
 * Stores are passed in (memory or database), so a "restarted process" is a second harness over the same stores.
 */
import { randomUUID } from "node:crypto";
import { MemoryLeaseStore } from "../../src/adapters/kv/memory.js";
import type { SimCloud } from "../../src/adapters/sim/cloud.js";
import { SimEc2Factory, SimHealthChecker, SimTargetGroupFactory } from "../../src/adapters/sim/factory.js";
import { ControlService } from "../../src/core/control/service.js";
import { type ControlStore, MemoryControlStore } from "../../src/core/control/store.js";
import { type AuditLog, MemoryAuditLog } from "../../src/core/ports/audit.js";
import type { LeaseStore } from "../../src/core/ports/kv.js";
import type { Notifier } from "../../src/core/ports/notifier.js";
import { MemorySagaStore } from "../../src/core/switch/memory-store.js";
import { SwitchSagaRunner } from "../../src/core/switch/saga.js";
import {
  DEFAULT_SWITCH_SETTINGS,
  type SagaStore,
  type SwitchRequest,
  type SwitchSettings,
} from "../../src/core/switch/types.js";
import type { Mode } from "../../src/core/types.js";

export interface SimRunnerOptions {
  cloud: SimCloud;
  store?: SagaStore;
  controlStore?: ControlStore;
  leases?: LeaseStore;
  audit?: AuditLog;
  mode?: Mode;
  settings?: Partial<SwitchSettings>;
  breakerThreshold?: number;
  dailyBudget?: number;
  newId?: () => string;
  /** Where needs_attention is announced. */
  notifier?: Pick<Notifier, "alert">;
}

export interface SimRunner {
  runner: SwitchSagaRunner;
  control: ControlService;
  store: SagaStore;
  leases: LeaseStore;
  audit: AuditLog;
  ec2: SimEc2Factory;
}

export function simRunner(o: SimRunnerOptions): SimRunner {
  const clock = o.cloud.clock;
  const store = o.store ?? new MemorySagaStore(() => clock.now());
  const leases = o.leases ?? new MemoryLeaseStore(() => clock.now());
  const audit = o.audit ?? new MemoryAuditLog();
  const control = new ControlService(o.controlStore ?? new MemoryControlStore(), audit, clock, {
    defaultMode: o.mode ?? "approve",
    breakerThreshold: o.breakerThreshold ?? 3,
    breakerCooldownMs: 3600_000,
    dailyBudget: o.dailyBudget ?? 20,
  });
  const ec2 = new SimEc2Factory(o.cloud);
  const runner = new SwitchSagaRunner({
    store,
    control,
    leases,
    ec2,
    audit,
    clock,
    settings: { ...DEFAULT_SWITCH_SETTINGS, ...(o.settings ?? {}) },
    newId: o.newId ?? randomUUID,
    targetGroups: new SimTargetGroupFactory(o.cloud),
    health: new SimHealthChecker(o.cloud),
    notifier: o.notifier,
    // deterministic backoff jitter in simulated runs
    random: () => 0.5,
  });
  return { runner, control, store, leases, audit, ec2 };
}

/**
 * The switch the saga tests run: `instanceId` in us-east-1a to m5a.xlarge (then m6i.xlarge on no capacity),
 * approved by slack:U1 at `now` for an hour.
 */
export function approvedSwitch(
  instanceId: string,
  now: number,
  recommendationId: string = randomUUID(),
): SwitchRequest {
  return {
    instanceId,
    accountId: "sim",
    region: "us-east-1",
    targets: [
      { region: "us-east-1", az: "us-east-1a", instanceType: "m5a.xlarge" },
      { region: "us-east-1", az: "us-east-1a", instanceType: "m6i.xlarge" },
    ],
    requestedBy: "slack:U1",
    approval: { recommendationId, approvedBy: "slack:U1", approvedAt: now, expiresAt: now + 3600_000 },
  };
}

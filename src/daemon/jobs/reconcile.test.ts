/** The reconcile job finishes unfinished switches without a restart, and two replicas never drive one saga. */
import { describe, expect, it } from "vitest";
import { simRunner } from "../../../test/sim/harness.js";
import { MemoryLeaseStore } from "../../adapters/kv/memory.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import { seedSimFleet } from "../../adapters/sim/seed.js";
import { MemoryControlStore } from "../../core/control/store.js";
import { MemoryAuditLog } from "../../core/ports/audit.js";
import { ManualClock } from "../../core/ports/clock.js";
import { MemorySagaStore } from "../../core/switch/memory-store.js";
import { DEFAULT_SWITCH_SETTINGS, type SwitchRequest } from "../../core/switch/types.js";
import { ReconcileJob } from "./reconcile.js";

function world() {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  const [old] = seedSimFleet(cloud);
  const shared = {
    store: new MemorySagaStore(() => clock.now()),
    controlStore: new MemoryControlStore(),
    audit: new MemoryAuditLog(),
    leases: new MemoryLeaseStore(() => clock.now()),
  };
  const replica = () => simRunner({ cloud, ...shared });
  const req: SwitchRequest = {
    instanceId: old!.instanceId,
    accountId: "sim",
    region: "us-east-1",
    targets: [{ region: "us-east-1", az: "us-east-1a", instanceType: "m5a.xlarge" }],
    requestedBy: "slack:U1",
    approval: {
      recommendationId: "0d6f3c1e-9c55-4a43-9d57-7a2c1b3f0101",
      approvedBy: "slack:U1",
      approvedAt: clock.now(),
      expiresAt: clock.now() + 3600_000,
    },
  };
  return { clock, cloud, old: old!, shared, replica, req };
}

describe("ReconcileJob", () => {
  it("finishes a switch whose terminate failed, on the next tick, without a restart", async () => {
    const { cloud, old, shared, replica, req } = world();
    const a = replica();
    cloud.failNext("terminateInstances", "unavailable", 6);
    const first = await a.runner.start(req);
    expect(first.state).toBe("in_flight");
    const stats = await new ReconcileJob({ runner: a.runner }).tick(Date.now());
    expect(stats).toMatchObject({ sagas: 1, done: 1 });
    expect(await shared.store.listActive()).toEqual([]);
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).not.toBe("running");
  });

  it("two replicas ticking at once: one drives the saga, the other keeps off it", async () => {
    const { cloud, shared, replica, req, clock } = world();
    const crashed = cloud.crashBefore("terminateInstances");
    void replica().runner.start(req);
    await crashed;
    clock.advance(DEFAULT_SWITCH_SETTINGS.leaseTtlMs); // the dead process's lease expires
    const [x, y] = await Promise.all([
      new ReconcileJob({ runner: replica().runner }).tick(clock.now()),
      new ReconcileJob({ runner: replica().runner }).tick(clock.now()),
    ]);
    expect(Number(x.done ?? 0) + Number(y.done ?? 0)).toBe(1);
    const resumed = (await shared.audit.list({ limit: 1000 })).filter((e) => e.action === "switch.resumed");
    expect(resumed).toHaveLength(1);
    const saga = (await shared.store.findByRecommendation(req.approval!.recommendationId!))!;
    expect(saga.state).toBe("done");
    expect(cloud.callsOf("runInstances")).toHaveLength(1);
  });

  it("leaves alone a saga its own process is driving, and one a live process holds", async () => {
    const { cloud, shared, replica, req } = world();
    const a = replica();
    const crashed = cloud.crashBefore("terminateInstances");
    void a.runner.start(req); // hangs: still driven by `a`
    await crashed;
    expect(await new ReconcileJob({ runner: a.runner }).tick(0)).toMatchObject({ sagas: 0 });
    const other = await new ReconcileJob({ runner: replica().runner }).tick(0);
    expect(other).toMatchObject({ sagas: 1, in_flight: 1 });
    expect(String((other.unfinished as string[])[0])).toContain("lease_held");
    expect((await shared.store.listActive())[0]!.state).toBe("terminating_old");
  });
});

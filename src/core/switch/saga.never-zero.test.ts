/**
 * Never zero, never two: the replacement is looked at again before the identity moves and before the old
 * instance is terminated; rollbacks tolerate "already done" answers; a rollback that cannot finish needs a
 * person (and says so in the channel) without blocking other instances; a failed terminate is retried.
 */
import { describe, expect, it } from "vitest";
import { simRunner } from "../../../test/sim/harness.js";
import { SimCloud, type SimInstance } from "../../adapters/sim/cloud.js";
import { seedSimFleet } from "../../adapters/sim/seed.js";
import { MemoryControlStore } from "../control/store.js";
import { ManualClock } from "../ports/clock.js";
import { DEFAULT_SWITCH_SETTINGS, type SwitchRequest } from "./types.js";

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  const fleet = seedSimFleet(cloud);
  const controlStore = new MemoryControlStore();
  const alerts: string[] = [];
  const notifier = {
    alert: async (text: string) => {
      alerts.push(text);
    },
  };
  const settings = { healthCheckUrl: "http://{privateIp}/health" };
  const h = simRunner({ cloud, settings, controlStore, notifier });
  /** A new process over the same stores, after the dead one's lease expired. */
  const restart = () => {
    clock.advance(DEFAULT_SWITCH_SETTINGS.leaseTtlMs);
    return simRunner({ cloud, settings, controlStore, notifier, store: h.store, leases: h.leases, audit: h.audit });
  };
  const request = (old: SimInstance, recommendationId: string): SwitchRequest => ({
    instanceId: old.instanceId,
    accountId: "sim",
    region: "us-east-1",
    targets: [{ region: "us-east-1", az: old.az, instanceType: "m5a.xlarge" }],
    requestedBy: "slack:U1",
    approval: { recommendationId, approvedBy: "slack:U1", approvedAt: clock.now(), expiresAt: clock.now() + 3600_000 },
  });
  const old = fleet[0]!;
  const req = request(old, "0d6f3c1e-9c55-4a43-9d57-7a2c1b3f0001");
  const running = () => [...cloud.instances.values()].filter((i) => cloud.stateOf(i) === "running");
  const eip = () => [...cloud.addresses.values()][0]!;
  const tg = () => [...[...cloud.targetGroups.values()][0]!];
  return { clock, cloud, fleet, h, old, req, request, restart, alerts, running, eip, tg };
}

const replacementOf = (cloud: SimCloud, sagaId: string) =>
  [...cloud.instances.values()].find((i) => i.tags["spotwise:saga-id"] === sagaId)!;

describe("never zero instances", () => {
  it("killed just before TerminateInstances, replacement reclaimed while down: the resume rolls back, the old one keeps everything", async () => {
    const { cloud, h, old, req, restart, running, eip, tg } = setup();
    const crashed = cloud.crashBefore("terminateInstances");
    void h.runner.start(req);
    await crashed;
    const saga = (await h.store.listActive())[0]!;
    expect(saga.state).toBe("terminating_old");
    expect(saga.context.verifiedAt).toBeDefined();
    cloud.reclaim(saga.newInstanceId!);

    const [out] = await restart().runner.resumeAll();
    expect(out).toMatchObject({ state: "rolled_back", code: "aws_capacity" });
    expect(out!.reason).toMatch(/replacement .* is (shutting-down|terminated)/);
    expect(cloud.callsOf("terminateInstances").map((c) => c.input)).not.toContainEqual({
      instanceIds: [old.instanceId],
    });
    expect(running().map((i) => i.instanceId)).toContain(old.instanceId);
    expect(eip().instanceId).toBe(old.instanceId);
    expect(tg()).toEqual([old.instanceId]);
  });

  it("killed during the cutover, replacement reclaimed while down: no identity moves onto a dead instance", async () => {
    const { cloud, h, old, req, restart, eip, tg } = setup();
    const crashed = cloud.crashAfter("registerTarget");
    void h.runner.start(req);
    await crashed;
    const saga = (await h.store.listActive())[0]!;
    cloud.reclaim(saga.newInstanceId!);
    // the replacement was registered, then reclaimed: deregistering it answers InvalidTarget, as on AWS
    const [out] = await restart().runner.resumeAll();
    expect(out).toMatchObject({ state: "rolled_back" });
    expect(eip().instanceId).toBe(old.instanceId);
    expect(tg()).toEqual([old.instanceId]);
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).toBe("running");
    expect((await h.store.get(saga.id))!.active).toBe(false);
  });

  it("a rollback resumed after its replacement was terminated gets past DeregisterTargets: InvalidTarget", async () => {
    const { cloud, h, old, req, restart, eip, tg } = setup();
    // the cutover fails at deregistering the old instance; the rollback dies right after terminating the replacement
    cloud.failNext("deregisterTarget", "denied", 1);
    const crashed = cloud.crashAfter("terminateInstances");
    void h.runner.start(req);
    await crashed;
    const s = (await h.store.listActive())[0]!;
    expect(s.state).toBe("rolling_back");
    // restarted later: the replacement is terminated, so ELB answers InvalidTarget for it
    const [out] = await restart().runner.resumeAll();
    expect(cloud.stateOf(replacementOf(cloud, s.id))).toBe("terminated");
    expect(out).toMatchObject({ state: "rolled_back", code: "aws_access_denied" });
    expect(eip().instanceId).toBe(old.instanceId);
    expect(tg()).toEqual([old.instanceId]);
    expect(await h.store.listActive()).toEqual([]);
  });
});

describe("a rollback that cannot finish needs a person", () => {
  it("leaves needs_attention, tells the channel what runs and what to do, blocks only that instance, and resumes later", async () => {
    const { cloud, h, old, req, request, fleet, restart, alerts, eip, clock } = setup();
    const crashed = cloud.crashAfter("associateAddress");
    void h.runner.start(req);
    await crashed;
    // the replacement dies; the rollback cannot move the EIP back (access denied, for good)
    const s = (await h.store.listActive())[0]!;
    cloud.reclaim(s.newInstanceId!);
    cloud.failNext("associateAddress", "denied", 50);
    const h2 = restart();
    const [out] = await h2.runner.resumeAll();
    expect(out).toMatchObject({ state: "needs_attention", code: "aws_access_denied" });
    const saga = (await h.store.get(s.id))!;
    expect(saga).toMatchObject({ state: "needs_attention", active: false });
    expect(saga.context.attention?.from).toBe("rolling_back");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain(`${old.instanceId} (old) running`);
    expect(alerts[0]).toMatch(new RegExp(`${s.newInstanceId} \\(replacement\\) (shutting-down|terminated)`));
    expect(alerts[0]).toContain(`spotwise resume ${s.id}`);
    // nothing more in flight: the reconcile job does not hammer it
    expect(await h.store.listActive()).toEqual([]);

    // the same instance is blocked; another instance switches normally
    const again = await h2.runner.start(request(old, "0d6f3c1e-9c55-4a43-9d57-7a2c1b3f0002"));
    expect(again).toMatchObject({ state: "refused", code: "conflict" });
    expect(again.reason).toContain("needs attention");
    const other = fleet[2]!;
    const ok = await h2.runner.start(request(other, "0d6f3c1e-9c55-4a43-9d57-7a2c1b3f0003"));
    expect(ok.state).toBe("done");

    // a person fixed the permission: `spotwise resume` finishes the rollback
    cloud.nextErrors.clear();
    clock.advance(60_000);
    const [resumed] = await h2.runner.resumeAll(undefined, { includeAttention: true });
    expect(resumed).toMatchObject({ state: "rolled_back", sagaId: s.id });
    expect(eip().instanceId).toBe(old.instanceId);
  });

  it("nothing left to roll back to: the old one terminated before the crash and the replacement is gone", async () => {
    const { cloud, h, old, req, restart, alerts } = setup();
    const crashed = cloud.crashAfter("terminateInstances");
    void h.runner.start(req);
    await crashed;
    const s = (await h.store.listActive())[0]!;
    cloud.reclaim(s.newInstanceId!);
    const [out] = await restart().runner.resumeAll();
    expect(out).toMatchObject({ state: "needs_attention", code: "nothing_running" });
    expect(out!.reason).toContain(`image ${s.imageId} is kept`);
    expect(alerts[0]).toContain(`${old.instanceId} (old)`);
    // the image stays past retention: it is the way back
    const later = restart();
    expect((await later.runner.cleanupImages()).images).toBe(0);
  });
});

describe("terminating the old instance after a verified cutover", () => {
  it("is retried, never rolled back, when AWS fails it", async () => {
    const { cloud, h, old, req, restart, eip, tg } = setup();
    cloud.failNext("terminateInstances", "server", 6);
    const out = await h.runner.start(req);
    expect(out).toMatchObject({ state: "in_flight", code: "unavailable" });
    expect(out.reason).toMatch(/retries it \(attempt 1 of 3\)/);
    const saga = (await h.store.get(out.sagaId!))!;
    expect(saga).toMatchObject({ state: "terminating_old", active: true });
    const fresh = replacementOf(cloud, out.sagaId!);
    expect(eip().instanceId).toBe(fresh.instanceId);
    expect(tg()).toEqual([fresh.instanceId]);
    expect(fresh.terminatedAt).toBeUndefined();

    const [again] = await restart().runner.resumeAll();
    expect(again).toMatchObject({ state: "done", newInstanceId: fresh.instanceId });
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).not.toBe("running");
    expect(cloud.stateOf(fresh)).toBe("running");
  });

  it("needs a person when the old one became protected meanwhile: both run, the identity stays on the replacement", async () => {
    const { cloud, h, old, req, restart, alerts, eip, running } = setup();
    const crashed = cloud.crashBefore("terminateInstances");
    void h.runner.start(req);
    await crashed;
    // someone turned termination protection on while spotwise was down
    cloud.instances.get(old.instanceId)!.disableApiTermination = true;
    const [out] = await restart().runner.resumeAll();
    expect(out).toMatchObject({ state: "needs_attention", code: "aws_error" });
    expect(out!.reason).toContain("OperationNotPermitted");
    const fresh = replacementOf(cloud, out!.sagaId!);
    expect(running().map((i) => i.instanceId)).toEqual(expect.arrayContaining([old.instanceId, fresh.instanceId]));
    expect(eip().instanceId).toBe(fresh.instanceId);
    expect(alerts[0]).toContain(`terminate ${old.instanceId} yourself`);
  });
});

import { describe, expect, it } from "vitest";
import { approvedSwitch, simRunner } from "../../../test/sim/harness.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import type { SimEc2Factory } from "../../adapters/sim/factory.js";
import { seedSimFleet } from "../../adapters/sim/seed.js";
import { MemoryControlStore } from "../control/store.js";
import type { MemoryAuditLog } from "../ports/audit.js";
import { ManualClock } from "../ports/clock.js";
import type { Ec2Instance } from "../ports/ec2.js";
import { DEFAULT_SWITCH_SETTINGS, type SwitchRequest } from "./types.js";

function setup(mode: "shadow" | "approve" = "approve") {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  const fleet = seedSimFleet(cloud);
  const controlStore = new MemoryControlStore();
  const settings = { healthCheckUrl: "http://{privateIp}/health" };
  const h = simRunner({ cloud, mode, settings, controlStore });
  const old = fleet[0]!;
  /** A new process over the same stores, after the dead one's lease expired. */
  const restart = () => {
    clock.advance(DEFAULT_SWITCH_SETTINGS.leaseTtlMs);
    return simRunner({ cloud, mode, settings, controlStore, store: h.store, leases: h.leases, audit: h.audit });
  };
  const req: SwitchRequest = approvedSwitch(old.instanceId, clock.now(), "0d6f3c1e-9c55-4a43-9d57-7a2c1b3f0001");
  return { clock, cloud, fleet, h, old, req, restart };
}

/** Like real EC2: DescribeInstances never carries user data, only DescribeInstanceAttribute (getUserData) does. */
function withoutDescribedUserData(factory: SimEc2Factory): void {
  const forAccount = factory.forAccount.bind(factory);
  factory.forAccount = async (...args) => {
    const port = await forAccount(...args);
    const describe = port.describeInstances.bind(port);
    port.describeInstances = async (input) =>
      (await describe(input)).map((i) => {
        const { userData: _dropped, ...rest } = i as Ec2Instance & { userData?: string };
        return rest;
      });
    return port;
  };
}

describe("switch saga on the simulated cloud", () => {
  it("switches make-before-break: replacement healthy, identity carried, old terminated, every step recorded", async () => {
    const { cloud, h, old, req } = setup();
    const progress: string[] = [];
    const out = await h.runner.start(req, (step, status) => {
      progress.push(`${step}:${status}`);
    });
    expect(out.state).toBe("done");
    const fresh = cloud.instances.get(out.newInstanceId!)!;
    expect(cloud.stateOf(fresh)).toBe("running");
    expect(fresh.instanceType).toBe("m5a.xlarge");
    expect(fresh.lifecycle).toBe("spot");
    expect(fresh.tags["spotwise:saga-id"]).toBe(out.sagaId);
    expect(fresh.tags.Name).toBe(old.tags.Name);
    expect(fresh.userData).toBe(old.userData);
    expect(fresh.keyName).toBe("ops");
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).not.toBe("running");
    const eip = [...cloud.addresses.values()][0]!;
    expect(eip.instanceId).toBe(fresh.instanceId);
    const tg = [...cloud.targetGroups.values()][0]!;
    expect([...tg]).toEqual([fresh.instanceId]);
    const runs = cloud.callsOf("runInstances");
    expect(runs).toHaveLength(1);
    expect((runs[0]!.input as { clientToken: string }).clientToken).toBe(`${out.sagaId}-0`);
    expect(h.ec2.sessions).toContain(`spotwise-${out.sagaId}`);
    const steps = await h.store.steps(out.sagaId!);
    expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      "create_image:ok",
      "wait_image:ok",
      "run_instances:ok",
      "wait_running:ok",
      "health_check:ok",
      "recheck_replacement:ok",
      "carry_private_ips:skipped",
      "carry_eip:ok",
      "carry_target_groups:ok",
      "recheck_replacement:ok",
      "terminate_old:ok",
    ]);
    expect(steps.find((s) => s.step === "run_instances")!.awsRequestId).toMatch(/^req-/);
    expect(progress).toContain("terminate_old:ok");
    const actions = (h.audit as MemoryAuditLog).events.map((e) => e.action);
    expect(actions[0]).toBe("switch.started");
    expect(actions.at(-1)).toBe("switch.done");
    expect((await h.control.budget()).used).toBe(1);
  });

  it("copies user data that only getUserData returns (DescribeInstances has none on AWS) to the replacement", async () => {
    const { cloud, h, old, req } = setup();
    withoutDescribedUserData(h.ec2);
    const plan = await h.runner.plan(req);
    expect(plan.ok).toBe(true);
    expect(plan.checks.join("\n")).toMatch(
      new RegExp(
        `user data of ${old.instanceId}: ${old.userData!.length} bytes, copied to the replacement \\(request req-`,
      ),
    );
    const out = await h.runner.start(req);
    expect(out.state).toBe("done");
    expect(cloud.callsOf("getUserData").map((c) => c.input)).toContainEqual({ instanceId: old.instanceId });
    const launch = cloud.callsOf("runInstances")[0]!.input as { userData?: string };
    expect(launch.userData).toBe("#!/bin/sh\necho hello\n");
    expect(cloud.instances.get(out.newInstanceId!)!.userData).toBe(old.userData);
  });

  it("refuses the switch when the user data cannot be read, launching nothing", async () => {
    const { cloud, h, req } = setup();
    withoutDescribedUserData(h.ec2);
    cloud.failNext("getUserData", "denied");
    const out = await h.runner.start(req);
    expect(out).toMatchObject({ state: "refused", code: "aws_access_denied" });
    expect((out as { reason: string }).reason).toMatch(/cannot read the user data of i-sim0001/);
    expect(cloud.callsOf("createImage")).toHaveLength(0);
    expect(cloud.callsOf("runInstances")).toHaveLength(0);
  });

  it("shadow mode never executes", async () => {
    const { cloud, h, req } = setup("shadow");
    const out = await h.runner.start(req);
    expect(out).toMatchObject({ state: "refused", code: "shadow_mode" });
    expect(cloud.callsOf("createImage")).toHaveLength(0);
  });

  it("refuses an instance that is not opted in, an expired approval, a paused fleet", async () => {
    const { cloud, h, fleet, req, clock } = setup();
    const notManaged = fleet.at(-1)!;
    expect(
      await h.runner.start({
        ...req,
        instanceId: notManaged.instanceId,
        approval: { ...req.approval!, recommendationId: undefined },
      }),
    ).toMatchObject({
      state: "refused",
      code: "forbidden",
    });
    expect(await h.runner.start({ ...req, approval: { ...req.approval!, expiresAt: clock.now() - 1 } })).toMatchObject({
      state: "refused",
      code: "approval_expired",
    });
    await h.control.pause("slack:U2", "incident");
    const paused = await h.runner.start(req);
    expect(paused).toMatchObject({ state: "refused", code: "paused" });
    expect(paused.reason).toContain("incident");
    expect(cloud.callsOf("createImage")).toHaveLength(0);
  });

  it("moves to the next candidate pool on InsufficientInstanceCapacity", async () => {
    const { cloud, h, req } = setup();
    cloud.noCapacity.add("us-east-1/us-east-1a/m5a.xlarge");
    const out = await h.runner.start(req);
    expect(out.state).toBe("done");
    expect(cloud.instances.get(out.newInstanceId!)!.instanceType).toBe("m6i.xlarge");
    const tokens = cloud.callsOf("runInstances").map((c) => (c.input as { clientToken: string }).clientToken);
    expect(tokens).toEqual([`${out.sagaId}-0`, `${out.sagaId}-1`]);
  });

  it("rolls back when the replacement never gets healthy, keeping the old instance and its identity", async () => {
    const { cloud, h, old, req } = setup();
    cloud.newInstancesUnhealthy = true;
    const out = await h.runner.start(req);
    expect(out.state).toBe("rolled_back");
    expect(out.code).toBe("deadline_exceeded");
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).toBe("running");
    const launched = [...cloud.instances.values()].filter((i) => i.tags["spotwise:saga-id"]);
    expect(launched).toHaveLength(1);
    expect(launched[0]!.terminatedAt).toBeDefined();
    expect([...cloud.addresses.values()][0]!.instanceId).toBe(old.instanceId);
    expect((await h.control.breaker("sim")).consecutiveFailures).toBe(1);
  });

  it("after a crash mid-cutover, a rollback restores the EIP and target groups even though the move was not recorded", async () => {
    const { cloud, h, old, req, restart } = setup();
    // the EIP moved to the replacement, then the process died before recording it
    const crashed = cloud.crashAfter("associateAddress");
    void h.runner.start(req);
    await crashed;
    expect([...cloud.addresses.values()][0]!.instanceId).not.toBe(old.instanceId);
    cloud.failNext("associateAddress", "denied", 1);
    const [out] = await restart().runner.resumeAll();
    expect(out).toMatchObject({ state: "rolled_back", code: "aws_access_denied" });
    expect([...cloud.addresses.values()][0]!.instanceId).toBe(old.instanceId);
    expect([...[...cloud.targetGroups.values()][0]!]).toEqual([old.instanceId]);
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).toBe("running");
    const replacement = [...cloud.instances.values()].find((i) => i.tags["spotwise:saga-id"] === out!.sagaId)!;
    expect(replacement.terminatedAt).toBeDefined();
  });

  it("rolls back instead of resuming a saga that had not launched when the fleet was paused meanwhile", async () => {
    const { cloud, h, old, req, restart } = setup();
    const crashed = cloud.crashAfter("createImage");
    void h.runner.start(req);
    await crashed;
    await h.control.pause("slack:U7", "incident");
    const [out] = await restart().runner.resumeAll();
    expect(out).toMatchObject({ state: "rolled_back", code: "paused" });
    expect(out!.reason).toMatch(/not resumed after the restart: switching is paused by slack:U7/);
    expect(cloud.callsOf("runInstances")).toHaveLength(0);
    expect(cloud.stateOf(cloud.instances.get(old.instanceId)!)).toBe("running");
    expect((await h.control.breaker("sim")).consecutiveFailures).toBe(0);
    // the image is left tagged for the cleanup job
    expect([...cloud.images.values()].map((i) => i.tags["spotwise:saga-id"])).toEqual([out!.sagaId]);
  });

  it("rolls back a not-yet-launched saga whose approval expired while the process was down", async () => {
    const { cloud, clock, h, req, restart } = setup();
    const crashed = cloud.crashAfter("createImage");
    void h.runner.start(req);
    await crashed;
    clock.advance(2 * 3600_000);
    const [out] = await restart().runner.resumeAll();
    expect(out).toMatchObject({ state: "rolled_back", code: "approval_expired" });
    expect(cloud.callsOf("runInstances")).toHaveLength(0);
  });

  it("opens the breaker after N consecutive failures and cleans images after retention", async () => {
    const { cloud, h, req, clock } = setup();
    cloud.newInstancesUnhealthy = true;
    for (let n = 0; n < 3; n++) {
      const out = await h.runner.start({
        ...req,
        approval: { ...req.approval!, recommendationId: undefined, expiresAt: clock.now() + 3600_000 },
      });
      expect(out.state).toBe("rolled_back");
    }
    const blocked = await h.runner.start({
      ...req,
      approval: { ...req.approval!, recommendationId: undefined, expiresAt: clock.now() + 3600_000 },
    });
    expect(blocked).toMatchObject({ state: "refused", code: "circuit_open" });
    expect((await h.control.status()).breakers[0]).toMatchObject({ accountId: "sim", state: "open" });
    clock.advance(73 * 3600_000);
    expect((await h.control.breaker("sim")).state).toBe("half-open");
    const cleaned = await h.runner.cleanupImages();
    expect(cleaned.images).toBe(3);
    expect(cleaned.snapshots).toBe(3);
    expect([...cloud.images.values()].every((i) => i.state === "deregistered")).toBe(true);
    expect((await h.runner.cleanupImages()).images).toBe(0);
  });
});

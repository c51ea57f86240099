/**
 * `spotwise resume` finishes a data volume move killed at any of its calls: the switch runs until the process
 * dies right before or after StopInstances, DetachVolume, AttachVolume or the describe that verifies the volume
 * (or, on the way back, StartInstances), then `spotwise resume` (the real SDK adapter against the simulated
 * cloud's EC2 endpoint, over the same database) drives it to its end and exits 0.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ec2QueryServer, startEc2QueryServer } from "../../../test/sim/ec2-query-server.js";
import { simRunner } from "../../../test/sim/harness.js";
import { DbAuditLog } from "../../adapters/db/audit-repo.js";
import { DbControlStore } from "../../adapters/db/control-repo.js";
import { openDatabase } from "../../adapters/db/orm.js";
import { DbSagaStore } from "../../adapters/db/saga-repo.js";
import { SimCloud, type SimOperation } from "../../adapters/sim/cloud.js";
import { ManualClock } from "../../core/ports/clock.js";
import { memoryIo } from "../io.js";
import { runCli } from "../program.js";

const ACCOUNT = "123456789012";

interface Kill {
  op: SimOperation;
  where: "before" | "after";
  /** Only the call for which this holds (the volume already on the replacement). */
  onReplacement?: boolean;
  /** The replacement is reclaimed while spotwise is down (the resume rolls back, putting the volume back). */
  reclaim?: boolean;
}

const KILLS: Kill[] = [
  { op: "stopInstances", where: "before" },
  { op: "stopInstances", where: "after" },
  { op: "detachVolume", where: "before" },
  { op: "detachVolume", where: "after" },
  { op: "attachVolume", where: "before" },
  { op: "attachVolume", where: "after" },
  { op: "describeVolumes", where: "after", onReplacement: true },
  { op: "attachVolume", where: "after", reclaim: true },
];

describe("spotwise resume finishes a data volume move killed at any of its calls", () => {
  const clock = new ManualClock(Date.now());
  const cloud = new SimCloud({ clock });
  let server: Ec2QueryServer;
  let dir: string;
  let config: string;
  beforeAll(async () => {
    server = await startEc2QueryServer({
      cloud,
      accountId: ACCOUNT,
      region: "us-east-1",
      tickMs: 30_000,
      advance: (ms) => clock.advance(ms),
    });
    dir = mkdtempSync(join(tmpdir(), "spotwise-resume-volumes-"));
    config = join(dir, "accounts.yaml");
    writeFileSync(
      config,
      `accounts:\n  - id: "${ACCOUNT}"\n    regions: [us-east-1]\nswitch:\n  pollIntervalSeconds: 0.001\n`,
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it("switch --dry-run (through the SDK adapter) names the data volume mode and skips targets in another AZ", async () => {
    const old = cloud.seedInstance(
      { accountId: ACCOUNT, region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" },
      { dataVolumes: [{ deviceName: "/dev/sdf", deleteOnTermination: false }] },
    );
    const volumeId = old.blockDevices!.find((b) => b.deviceName === "/dev/sdf")!.volumeId;
    const io = memoryIo({
      SPOTWISE_MODE: "approve",
      DATABASE_URL: `pglite://${join(dir, "db-dry-run")}`,
      SPOTWISE_CONFIG: config,
      AWS_ENDPOINT_URL_EC2: server.url,
      AWS_ACCESS_KEY_ID: "AKIDRESUMETEST",
      AWS_SECRET_ACCESS_KEY: "secret",
      USER: "carol",
    });
    const args = ["switch", old.instanceId, "--to", "m5a.large@us-east-1b,m6i.large@us-east-1a", "--dry-run"];
    expect(await runCli(args, io), io.err.join("\n")).toBe(0);
    const out = io.out.join("\n");
    expect(out).toContain(`carry over: data volumes moved: ${volumeId} at /dev/sdf (instance stopped during the move)`);
    expect(out).toContain(`us-east-1/us-east-1b/m5a.large (data volume(s) ${volumeId} live in us-east-1a`);
    expect(out).toMatch(
      new RegExp(
        `stop ${old.instanceId} \\(its writes stop; it is down until the replacement takes over\\), detach ${volumeId} at /dev/sdf`,
      ),
    );
    expect(server.actions).toContain("DescribeVolumes");
    expect(
      cloud
        .callsOf("stopInstances")
        .filter((c) => (c.input as { instanceIds: string[] }).instanceIds.includes(old.instanceId)),
    ).toEqual([]);
  });

  for (const [n, kill] of KILLS.entries()) {
    const name = `${kill.where} ${kill.op}${kill.onReplacement ? " (verifying the volume)" : ""}${kill.reclaim ? ", replacement reclaimed while down" : ""}`;
    it(`killed ${name}: resume exits 0 with one running instance holding the EIP and the data volume`, async () => {
      const old = cloud.seedInstance(
        { accountId: ACCOUNT, region: "us-east-1", az: "us-east-1a", instanceType: "m5.large" },
        { elasticIp: `203.0.113.${50 + n}`, dataVolumes: [{ deviceName: "/dev/sdf", deleteOnTermination: false }] },
      );
      const volumeId = old.blockDevices!.find((b) => b.deviceName === "/dev/sdf")!.volumeId;
      const url = `pglite://${join(dir, `db-${n}`)}`;

      // the process that dies: a runner over the same database the CLI opens
      const db = await openDatabase({ url });
      await db.migrate();
      const h = simRunner({
        cloud,
        store: new DbSagaStore(db),
        controlStore: new DbControlStore(db),
        audit: new DbAuditLog(db),
      });
      const when = kill.onReplacement
        ? () => {
            const a = cloud.volumes.get(volumeId)?.attachment;
            return !!a && a.instanceId !== old.instanceId && a.detachingAt === undefined;
          }
        : undefined;
      const died = kill.where === "before" ? cloud.crashBefore(kill.op, when) : cloud.crashAfter(kill.op, when);
      const started = h.runner.start({
        instanceId: old.instanceId,
        accountId: ACCOUNT,
        region: "us-east-1",
        targets: [{ region: "us-east-1", az: "us-east-1a", instanceType: "m5a.large" }],
        requestedBy: "cli:carol",
        approval: { approvedBy: "cli:carol", approvedAt: clock.now(), expiresAt: clock.now() + 3600_000 },
      });
      expect(await Promise.race([died.then(() => "killed"), started.then((o) => o.state)])).toBe("killed");
      const saga = (await h.store.listActive())[0]!;
      await db.close();
      if (kill.reclaim) cloud.reclaim(saga.newInstanceId!);

      const io = memoryIo({
        SPOTWISE_MODE: "approve",
        DATABASE_URL: url,
        SPOTWISE_CONFIG: config,
        AWS_ENDPOINT_URL_EC2: server.url,
        AWS_ACCESS_KEY_ID: "AKIDRESUMETEST",
        AWS_SECRET_ACCESS_KEY: "secret",
        USER: "carol",
      });
      expect(await runCli(["resume"], io), io.err.join("\n") + io.out.join("\n")).toBe(0);
      const out = io.out.join("\n");
      const keeper = kill.reclaim ? old.instanceId : saga.newInstanceId!;
      if (kill.reclaim) expect(out).toContain(`rolled back: ${old.instanceId} keeps running (switch ${saga.id})`);
      else expect(out).toContain(`done: ${old.instanceId} → ${saga.newInstanceId} (switch ${saga.id})`);

      const mine = [old.instanceId, saga.newInstanceId!].map((id) => cloud.instances.get(id)!);
      expect(mine.filter((i) => cloud.stateOf(i) === "running").map((i) => i.instanceId)).toEqual([keeper]);
      const eip = [...cloud.addresses.values()].find((a) => a.publicIp === `203.0.113.${50 + n}`)!;
      expect(eip.instanceId).toBe(keeper);
      expect(cloud.volumes.get(volumeId)!.attachment).toMatchObject({ instanceId: keeper, deviceName: "/dev/sdf" });
      const orphans = [...cloud.volumes.values()].filter((v) => !v.deleted && !v.attachment);
      expect(orphans).toEqual([]);
      expect(server.actions).toEqual(
        expect.arrayContaining(kill.reclaim ? ["AttachVolume", "StartInstances"] : ["AttachVolume"]),
      );
    });
  }
});

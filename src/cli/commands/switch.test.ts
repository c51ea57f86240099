import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ec2QueryServer, startEc2QueryServer } from "../../../test/sim/ec2-query-server.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import { seedSimFleet } from "../../adapters/sim/seed.js";
import { openSandbox } from "../../app/sandbox.js";
import { loadConfig } from "../../config/load.js";
import { ManualClock } from "../../core/ports/clock.js";
import { memoryIo } from "../io.js";
import { runCli } from "../program.js";

const simEnv = (extra: Record<string, string> = {}) =>
  memoryIo({
    SPOTWISE_CLOUD: "sim",
    SPOTWISE_MODE: "approve",
    DATABASE_URL: "pglite://memory",
    USER: "alice",
    ...extra,
  });

/** The sandbox every SPOTWISE_CLOUD=sim process seeds (`start`, `daemon`, `decide`): its ids and pools. */
async function sandboxFleet() {
  const sb = await openSandbox(loadConfig({}), new ManualClock(Date.now()));
  return sb.instanceIds.map((id) => {
    const i = sb.cloud.instances.get(id)!;
    // the cheapest other AZ of the same type in the sandbox's market now: where the daemon would advise a move
    const latest = new Map<string, number>();
    for (const r of sb.cloud.prices) {
      if (r.ts <= Date.now() && r.region === i.region && r.instanceType === i.instanceType) latest.set(r.az, r.price);
    }
    const cheapest = [...latest.entries()].filter(([az]) => az !== i.az).sort((x, y) => x[1] - y[1])[0][0];
    return { id, region: i.region, az: i.az, type: i.instanceType, cheapest };
  });
}

describe("spotwise switch on the simulated cloud (SPOTWISE_CLOUD=sim)", () => {
  it("sees the sandbox's seeded fleet, the one start, daemon and decide run on, and prints the plan with --dry-run", async () => {
    const fleet = await sandboxFleet();
    expect(fleet.map((f) => f.id)).toEqual([
      "i-sandbox0001",
      "i-sandbox0002",
      "i-sandbox0003",
      "i-sandbox0004",
      "i-sandbox0005",
      "i-sandbox0006",
    ]);
    const [first] = fleet;
    const io = simEnv();
    expect(await runCli(["switch", first.id, "--to", `${first.type}@${first.cheapest}`, "--dry-run"], io)).toBe(0);
    const out = io.out.join("\n");
    expect(out).toContain(`switch ${first.id} in sim/${first.region} (SPOTWISE_CLOUD=sim`);
    expect(out).toContain("approved by cli:alice");
    expect(out).toContain(`launch spot ${first.type} in ${first.cheapest}`);
    expect(out).toContain("health check http://{privateIp}:8080/healthz");
    expect(out).toContain("dry run: nothing changed");
    expect(out).not.toContain("[create_image]");
    // the old built-in fleet is gone: its ids are unknown here
    const old = simEnv();
    expect(await runCli(["switch", "i-sim0001", "--to", "m5a.xlarge", "--dry-run"], old)).toBe(1);
    expect(old.err.join("\n")).toMatch(/instance i-sim0001 not found in sim\//);
  });

  it("refuses without --yes", async () => {
    const [first] = await sandboxFleet();
    const io = simEnv();
    expect(await runCli(["switch", first.id, "--to", `${first.type}@${first.cheapest}`], io)).toBe(1);
    expect(io.err.join("\n")).toMatch(/refusing to switch without --yes/);
  });

  it("respects shadow mode, with the reason", async () => {
    const [first] = await sandboxFleet();
    const shadow = simEnv({ SPOTWISE_MODE: "shadow" });
    expect(await runCli(["switch", first.id, "--to", `${first.type}@${first.cheapest}`, "--yes"], shadow)).toBe(1);
    expect(shadow.err.join("\n")).toMatch(/refused \(shadow_mode\).*SPOTWISE_MODE=approve/);
  });

  it("switches a sandbox instance across AZs end to end with --yes, printing each step", async () => {
    const fleet = await sandboxFleet();
    const f = fleet[3];
    const io = simEnv();
    const code = await runCli(["switch", f.id, "--to", `${f.type}@${f.cheapest}`, "--yes"], io);
    expect(code, io.err.join("\n")).toBe(0);
    const out = io.out.join("\n");
    for (const step of [
      "create_image",
      "wait_image",
      "run_instances",
      "wait_running",
      "health_check",
      "terminate_old",
    ]) {
      expect(out).toContain(`[${step}]`);
    }
    expect(out).toContain(`in sim/${f.region}`);
    expect(out).toMatch(new RegExp(`done: ${f.id} → i-\\w+ \\(switch [0-9a-f-]{36}\\)`));
  });

  it("rejects malformed arguments with exit 2", async () => {
    const io = simEnv();
    expect(await runCli(["switch", "i-sandbox0001", "--to", "not a type"], io)).toBe(2);
    expect(io.err.join("\n")).toContain("TYPE[@AZ]");
  });
});

describe("spotwise switch against an EC2-compatible endpoint (AWS_ENDPOINT_URL_EC2)", () => {
  const ACCOUNT = "123456789012";
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  let server: Ec2QueryServer;
  let configPath: string;
  beforeAll(async () => {
    seedSimFleet(cloud, { accountId: ACCOUNT });
    // every request moves simulated time on by 30 s, so polling sees the image and instance become ready
    server = await startEc2QueryServer({
      cloud,
      accountId: ACCOUNT,
      region: "us-east-1",
      tickMs: 30_000,
      advance: (ms) => clock.advance(ms),
    });
    const dir = mkdtempSync(join(tmpdir(), "spotwise-switch-"));
    configPath = join(dir, "spotwise.yaml");
    writeFileSync(
      configPath,
      `accounts:\n  - id: "${ACCOUNT}"\n    regions: [us-east-1]\nswitch:\n  pollIntervalSeconds: 0.001\n`,
    );
  });
  afterAll(async () => {
    await server.close();
  });
  const env = () =>
    memoryIo({
      SPOTWISE_MODE: "approve",
      DATABASE_URL: "pglite://memory",
      SPOTWISE_CONFIG: configPath,
      AWS_ENDPOINT_URL_EC2: server.url,
      AWS_ACCESS_KEY_ID: "AKIDENDPOINTTEST",
      AWS_SECRET_ACCESS_KEY: "secret",
      USER: "bob",
    });

  it("runs the whole saga through the real SDK adapter against the endpoint", async () => {
    cloud.instances.get("i-sim0002")!.tags["spotwise:health-url"] = `${server.url}/healthz/{instanceId}`;
    const io = env();
    const code = await runCli(["switch", "i-sim0002", "--to", "g4dn.xlarge@us-east-1b", "--yes"], io);
    expect(code, io.err.join("\n")).toBe(0);
    for (const a of ["CreateImage", "DescribeImages", "RunInstances", "DescribeInstanceStatus", "TerminateInstances"]) {
      expect(server.actions).toContain(a);
    }
    expect(io.out.join("\n")).toMatch(
      /\[health_check\] Application health check: ok \(http:\/\/127\.0\.0\.1:\d+\/healthz\/i-\w+: HTTP 200\)/,
    );
    expect(server.authorizations.at(-1)).toContain("Credential=AKIDENDPOINTTEST/");
    const old = cloud.instances.get("i-sim0002")!;
    expect(cloud.stateOf(old)).not.toBe("running");
    const fresh = [...cloud.instances.values()].find((i) => i.tags["spotwise:replaces"] === "i-sim0002")!;
    expect(fresh).toMatchObject({ instanceType: "g4dn.xlarge", lifecycle: "spot", keyName: "ops" });
    // DescribeInstances has no user data: it is read with DescribeInstanceAttribute and launched base64-encoded
    expect(server.actions).toContain("DescribeInstanceAttribute");
    expect(fresh.userData).toBe(old.userData);
    expect(fresh.userData).toBe("#!/bin/sh\necho hello\n");
    expect(cloud.stateOf(fresh)).toBe("running");
  });

  it("refuses an instance that is not opted in, with the tag to set", async () => {
    const io = env();
    expect(await runCli(["switch", "i-sim0004", "--to", "t3a.large", "--yes"], io)).toBe(1);
    expect(io.err.join("\n")).toMatch(/not opted in: tag it spotwise:managed=true/);
  });

  it("exits non-zero with the reason when the switch rolls back, keeping the old instance", async () => {
    cloud.noCapacity.add("us-east-1/us-east-1a/c5a.large");
    delete cloud.instances.get("i-sim0003")!.tags["spotwise:health-url"];
    const io = env();
    const code = await runCli(["switch", "i-sim0003", "--to", "c5a.large", "--yes"], io);
    expect(code).toBe(1);
    expect(io.err.join("\n")).toMatch(/rolled back, i-sim0003 keeps running \(aws_capacity\): no spot capacity/);
    expect(cloud.stateOf(cloud.instances.get("i-sim0003")!)).toBe("running");
    const leftovers = [...cloud.instances.values()].filter((i) => i.tags["spotwise:replaces"] === "i-sim0003");
    expect(leftovers).toEqual([]);
  });
});

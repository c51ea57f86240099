/**
 * `spotwise resume` through the real SDK adapter against the simulated cloud's EC2 endpoint, over one database
 * (PGlite in a temp directory) shared by the successive commands; and `spotwise switch` without accounts
 * uses the caller's own account (STS GetCallerIdentity on AWS_ENDPOINT_URL_STS) and says so.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ec2QueryServer, startEc2QueryServer } from "../../../test/sim/ec2-query-server.js";
import { SimCloud } from "../../adapters/sim/cloud.js";
import { seedSimFleet } from "../../adapters/sim/seed.js";
import { ManualClock } from "../../core/ports/clock.js";
import { memoryIo } from "../io.js";
import { runCli } from "../program.js";

const ACCOUNT = "123456789012";

describe("spotwise resume", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const cloud = new SimCloud({ clock });
  let server: Ec2QueryServer;
  let dir: string;
  let withAccounts: string;
  let withoutAccounts: string;
  beforeAll(async () => {
    seedSimFleet(cloud, { accountId: ACCOUNT });
    server = await startEc2QueryServer({
      cloud,
      accountId: ACCOUNT,
      region: "us-east-1",
      tickMs: 30_000,
      advance: (ms) => clock.advance(ms),
    });
    dir = mkdtempSync(join(tmpdir(), "spotwise-resume-"));
    withAccounts = join(dir, "accounts.yaml");
    writeFileSync(
      withAccounts,
      `accounts:\n  - id: "${ACCOUNT}"\n    regions: [us-east-1]\nswitch:\n  pollIntervalSeconds: 0.001\n`,
    );
    withoutAccounts = join(dir, "none.yaml");
    writeFileSync(withoutAccounts, "switch:\n  pollIntervalSeconds: 0.001\n");
  });
  afterAll(async () => {
    await server.close();
  });
  const env = (config: string, extra: Record<string, string> = {}) =>
    memoryIo({
      SPOTWISE_MODE: "approve",
      DATABASE_URL: `pglite://${join(dir, "db")}`,
      SPOTWISE_CONFIG: config,
      AWS_ENDPOINT_URL_EC2: server.url,
      AWS_ENDPOINT_URL_STS: server.url,
      AWS_ACCESS_KEY_ID: "AKIDRESUMETEST",
      AWS_SECRET_ACCESS_KEY: "secret",
      USER: "carol",
      ...extra,
    });

  it("exits 0 with nothing to resume", async () => {
    const io = env(withAccounts);
    expect(await runCli(["resume"], io), io.err.join("\n")).toBe(0);
    expect(io.out.join("\n")).toContain("nothing to resume");
  });

  it("finishes a switch left needing attention once the cause is fixed; exit 1 while it is not", async () => {
    delete cloud.instances.get("i-sim0003")!.tags["spotwise:health-url"];
    // the role may not terminate (yet): the verified switch stops with both instances running
    cloud.failNext("terminateInstances", "denied", 1);
    const sw = env(withAccounts);
    expect(await runCli(["switch", "i-sim0003", "--to", "c5a.large", "--yes"], sw)).toBe(1);
    const swErr = sw.err.join("\n");
    expect(swErr).toMatch(/needs attention \(aws_access_denied\)/);
    const sagaId = /\[switch ([0-9a-f-]{36})\]/.exec(swErr)?.[1];
    expect(sagaId).toBeDefined();
    expect(sw.out.join("\n")).toContain(`spotwise resume ${sagaId}`);

    cloud.failNext("terminateInstances", "denied", 1);
    const still = env(withAccounts);
    expect(await runCli(["resume"], still)).toBe(1);
    expect(still.out.join("\n")).toMatch(/needs attention: i-sim0003/);

    const fixed = env(withAccounts);
    expect(await runCli(["resume", sagaId!], fixed), fixed.err.join("\n")).toBe(0);
    expect(fixed.out.join("\n")).toMatch(/done: i-sim0003 → i-\w+/);
    expect(cloud.stateOf(cloud.instances.get("i-sim0003")!)).not.toBe("running");
    // a finished switch resumed again is reported as it ended
    const again = env(withAccounts);
    expect(await runCli(["resume", sagaId!], again)).toBe(0);
  });

  it("rejects a malformed id with exit 2", async () => {
    const io = env(withAccounts);
    expect(await runCli(["resume", "not-a-uuid"], io)).toBe(2);
  });

  it("switch without configured accounts uses the caller's account in AWS_REGION and says so", async () => {
    const io = env(withoutAccounts, { AWS_REGION: "us-east-1" });
    expect(
      await runCli(["switch", "i-sim0002", "--to", "g4dn.xlarge@us-east-1b", "--dry-run"], io),
      io.err.join("\n"),
    ).toBe(0);
    const out = io.out.join("\n");
    expect(out).toContain(
      `switch i-sim0002 in ${ACCOUNT}/us-east-1 (no accounts configured: the account of your credentials`,
    );
    expect(out).toContain("AWS_REGION");
    expect(server.actions).toContain("GetCallerIdentity");
    const noRegion = env(withoutAccounts);
    expect(await runCli(["switch", "i-sim0002", "--to", "g4dn.xlarge", "--dry-run"], noRegion)).toBe(2);
    expect(noRegion.err.join("\n")).toContain("AWS_REGION is not set");
  });
});

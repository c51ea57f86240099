import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ec2QueryServer, startEc2QueryServer } from "../../../test/sim/ec2-query-server.js";
import { ManualClock } from "../../core/ports/clock.js";
import { SimCloud } from "../sim/cloud.js";
import { seedSimFleet } from "../sim/seed.js";
import { createEc2Client } from "./ec2.js";
import { AwsEc2Factory } from "./factory.js";
import { StsCredentialCache } from "./sts.js";

const ACCOUNT = "123456789012";
const sts = mockClient(STSClient);
let server: Ec2QueryServer;
const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
const cloud = new SimCloud({ clock });

beforeAll(async () => {
  seedSimFleet(cloud, { accountId: ACCOUNT });
  server = await startEc2QueryServer({ cloud, accountId: ACCOUNT, region: "us-east-1" });
});
afterAll(async () => {
  await server.close();
});

describe("AwsEc2Factory against an EC2-compatible endpoint", () => {
  it("signs EC2 calls with the credentials assumed through STS, per session", async () => {
    sts.reset();
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: "ASIAASSUMED",
        SecretAccessKey: "s",
        SessionToken: "t",
        Expiration: new Date(Date.now() + 3600_000),
      },
    });
    const factory = new AwsEc2Factory({
      accounts: [
        { id: ACCOUNT, regions: ["us-east-1"], roleArn: `arn:aws:iam::${ACCOUNT}:role/spotwise`, externalId: "e-1" },
      ],
      sts: new StsCredentialCache({ client: new STSClient({ region: "us-east-1" }) }),
      endpoint: server.url,
      makeClient: (o) => createEc2Client({ ...o, maxAttempts: 1 }),
    });
    const ec2 = await factory.forAccount(ACCOUNT, "us-east-1", "spotwise-saga-1");
    const found = await ec2.describeInstances({ tagFilters: { "spotwise:managed": "true" } });
    expect(found.map((i) => i.instanceId)).toEqual(["i-sim0001", "i-sim0002", "i-sim0003"]);
    expect(server.authorizations.at(-1)).toContain("Credential=ASIAASSUMED/");
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({
      ExternalId: "e-1",
      RoleSessionName: "spotwise-saga-1",
    });
    expect(await factory.forAccount(ACCOUNT, "us-east-1", "spotwise-saga-1")).toBe(ec2);
  });

  it("names the config to fix for an unknown account or region", async () => {
    const factory = new AwsEc2Factory({ accounts: [{ id: ACCOUNT, regions: ["us-east-1"] }], endpoint: server.url });
    await expect(factory.forAccount("210987654321", "us-east-1")).rejects.toThrow(/add it under accounts/);
    await expect(factory.forAccount(ACCOUNT, "eu-west-1")).rejects.toThrow(/accounts\[\]\.regions/);
  });
});

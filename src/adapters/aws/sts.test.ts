import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { StsCredentialCache, sessionNameOf } from "./sts.js";

const sts = mockClient(STSClient);
const ROLE = "arn:aws:iam::123456789012:role/spotwise-switch";

function creds(n: number, expiresAt: number) {
  return {
    Credentials: {
      AccessKeyId: `ASIA${n}`,
      SecretAccessKey: `secret${n}`,
      SessionToken: `token${n}`,
      Expiration: new Date(expiresAt),
    },
    $metadata: {},
  };
}

describe("StsCredentialCache (fake STS)", () => {
  let now = Date.UTC(2026, 10, 28, 12);
  beforeEach(() => {
    sts.reset();
    now = Date.UTC(2026, 10, 28, 12);
  });
  const cache = () => new StsCredentialCache({ client: new STSClient({ region: "us-east-1" }), now: () => now });

  it("assumes the role with the ExternalId and a session name carrying the saga id", async () => {
    sts.on(AssumeRoleCommand).resolves(creds(1, now + 3600_000));
    const c = await cache().credentialsFor({ roleArn: ROLE, externalId: "ext-42", sessionName: "spotwise-5c1d/ok?" });
    expect(c.accessKeyId).toBe("ASIA1");
    const input = sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ RoleArn: ROLE, ExternalId: "ext-42", RoleSessionName: "spotwise-5c1d-ok-" });
    expect(sessionNameOf(`spotwise-${"a".repeat(80)}`)).toHaveLength(64);
  });

  it("caches until shortly before expiry, then refreshes", async () => {
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(creds(1, now + 3600_000))
      .resolvesOnce(creds(2, now + 7200_000));
    const c = cache();
    const input = { roleArn: ROLE, externalId: "ext-42", sessionName: "spotwise-daemon" };
    expect((await c.credentialsFor(input)).accessKeyId).toBe("ASIA1");
    now += 50 * 60_000;
    expect((await c.credentialsFor(input)).accessKeyId).toBe("ASIA1");
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    now += 6 * 60_000; // 4 minutes left: inside the 5-minute margin
    expect((await c.credentialsFor(input)).accessKeyId).toBe("ASIA2");
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it("shares one AssumeRole between concurrent callers", async () => {
    sts.on(AssumeRoleCommand).resolves(creds(1, now + 3600_000));
    const c = cache();
    const input = { roleArn: ROLE, externalId: "x1", sessionName: "spotwise-daemon" };
    await Promise.all([c.credentialsFor(input), c.credentialsFor(input), c.credentialsFor(input)]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it("turns AccessDenied into a message naming the role and what to fix, and does not cache the failure", async () => {
    const denied = Object.assign(new Error("User is not authorized to perform: sts:AssumeRole"), {
      name: "AccessDenied",
      $metadata: { requestId: "req-denied" },
    });
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(denied)
      .resolves(creds(3, now + 3600_000));
    const c = cache();
    const input = { roleArn: ROLE, externalId: "ext-42", sessionName: "spotwise-x" };
    const err = await c.credentialsFor(input).catch((e) => e);
    expect(err.code).toBe("aws_access_denied");
    expect(err.message).toContain(ROLE);
    expect(err.message).toContain("sts:ExternalId");
    expect(err.message).toContain("deploy/cross-account-role.yaml");
    expect(err.detail).toMatchObject({ requestId: "req-denied", roleArn: ROLE });
    expect((await c.credentialsFor(input)).accessKeyId).toBe("ASIA3");
  });

  it("maps throttling to a coded error", async () => {
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "Throttling" }));
    await expect(cache().credentialsFor({ roleArn: ROLE, sessionName: "s1" })).rejects.toMatchObject({
      code: "aws_throttled",
    });
  });
});

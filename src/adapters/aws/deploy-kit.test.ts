/** The deploy kit must allow exactly what spotwise calls, and the cross-account role must require the ExternalId. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const CALLS = [
  "ec2:DescribeSpotPriceHistory",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeAvailabilityZones",
  "ec2:GetSpotPlacementScores",
  "ec2:DescribeInstances",
  "ec2:DescribeInstanceStatus",
  "ec2:DescribeInstanceAttribute",
  "ec2:CreateImage",
  "ec2:DescribeImages",
  "ec2:DeregisterImage",
  "ec2:DeleteSnapshot",
  "ec2:RunInstances",
  "ec2:TerminateInstances",
  "ec2:DescribeAddresses",
  "ec2:AssociateAddress",
  "ec2:CreateTags",
  "ec2:DescribeInstanceTypeOfferings",
  "ec2:DescribeInstanceCreditSpecifications",
  "ec2:DescribeVolumes",
  "ec2:ModifyInstanceAttribute",
  "ec2:AssignPrivateIpAddresses",
  "ec2:StopInstances",
  "ec2:StartInstances",
  "ec2:DetachVolume",
  "ec2:AttachVolume",
  "iam:PassRole",
  "elasticloadbalancing:DescribeTargetGroups",
  "elasticloadbalancing:DescribeTargetHealth",
  "elasticloadbalancing:RegisterTargets",
  "elasticloadbalancing:DeregisterTargets",
];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}
const actions = (s: Statement[]) => new Set(s.flatMap((x) => (Array.isArray(x.Action) ? x.Action : [x.Action])));

// CloudFormation short-form tags (!Ref, !Sub, …) read as plain values
const cfnTags = ["!Ref", "!Sub", "!GetAtt", "!Equals", "!If"].flatMap((tag) => [
  { tag, resolve: (v: unknown) => v },
  { tag, collection: "seq" as const, resolve: (v: unknown) => v },
]);

describe("deploy kit", () => {
  const policy = JSON.parse(readFileSync("deploy/iam-policy.json", "utf8")) as { Statement: Statement[] };
  const cfn = parse(readFileSync("deploy/cross-account-role.yaml", "utf8"), { customTags: cfnTags }) as {
    Resources: { SpotwiseRole: { Properties: Record<string, unknown> } };
  };
  const role = cfn.Resources.SpotwiseRole.Properties as {
    AssumeRolePolicyDocument: { Statement: Statement[] };
    Policies: unknown[];
  };

  it("spotwise's own policy allows every call it makes, no wildcards on actions, destructive calls tag-scoped", () => {
    const allowed = actions(policy.Statement);
    for (const c of CALLS) expect(allowed, c).toContain(c);
    expect(allowed).toContain("sts:AssumeRole");
    expect([...allowed].some((a) => a.includes("*"))).toBe(false);
    for (const a of [
      "ec2:TerminateInstances",
      "ec2:DeregisterImage",
      "ec2:DeleteSnapshot",
      "ec2:ModifyInstanceAttribute",
      "ec2:StopInstances",
      "ec2:StartInstances",
    ]) {
      const st = policy.Statement.filter((s) => actions([s]).has(a));
      expect(
        st.every((s) => s.Condition?.StringEquals),
        `${a} is conditioned on spotwise's tags`,
      ).toBe(true);
    }
  });

  it("the policy grants exactly the calls the AWS adapters make (read from their source), nothing more", () => {
    const made = new Set<string>();
    for (const [file, service] of [
      ["src/adapters/aws/ec2.ts", "ec2"],
      ["src/adapters/aws/ec2-launch.ts", "ec2"],
      ["src/adapters/aws/ec2-volumes.ts", "ec2"],
      ["src/adapters/aws/elb.ts", "elasticloadbalancing"],
    ] as const) {
      for (const m of readFileSync(file, "utf8").matchAll(/new (\w+)Command\(/g)) made.add(`${service}:${m[1]}`);
    }
    // CreateTags also happens through TagSpecifications; PassRole through IamInstanceProfile
    const expected = new Set([...made, "iam:PassRole"]);
    expect(new Set(CALLS)).toEqual(expected);
    expect(actions(policy.Statement)).toEqual(new Set([...expected, "sts:AssumeRole"]));
  });

  it("the cross-account role requires the ExternalId and allows the same calls", () => {
    const trust = role.AssumeRolePolicyDocument.Statement[0]!;
    expect(trust.Action).toBe("sts:AssumeRole");
    expect(trust.Condition?.StringEquals?.["sts:ExternalId"]).toBeDefined();
    expect(trust.Condition?.StringLike?.["sts:RoleSessionName"]).toBe("spotwise-*");
    const docs = role.Policies.flatMap((p) => {
      // the switching policy sits inside !If [cond, policy, NoValue]
      const x = Array.isArray(p) ? p[1] : p;
      return (x as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement;
    });
    const allowed = actions(docs);
    for (const c of CALLS) expect(allowed, c).toContain(c);
  });
});

import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { SdkTargetGroupPort } from "./elb.js";

const elb = mockClient(ElasticLoadBalancingV2Client);
const TG = (n: number) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app${n}/abc${n}`;

describe("SdkTargetGroupPort (fake ELBv2)", () => {
  beforeEach(() => elb.reset());
  const port = () =>
    new SdkTargetGroupPort(new ElasticLoadBalancingV2Client({ region: "us-east-1" }), "123456789012", "us-east-1");

  it("finds the instance's target groups across pages, skipping ip target groups", async () => {
    elb
      .on(DescribeTargetGroupsCommand, { Marker: undefined })
      .resolves({
        TargetGroups: [
          { TargetGroupArn: TG(1), TargetType: "instance" },
          { TargetGroupArn: TG(9), TargetType: "ip" },
        ],
        NextMarker: "m2",
      })
      .on(DescribeTargetGroupsCommand, { Marker: "m2" })
      .resolves({ TargetGroups: [{ TargetGroupArn: TG(2), TargetType: "instance" }] });
    elb
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TG(1) })
      .resolves({
        TargetHealthDescriptions: [{ Target: { Id: "i-old", Port: 8080 } }, { Target: { Id: "i-other", Port: 8080 } }],
      })
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TG(2) })
      .resolves({ TargetHealthDescriptions: [{ Target: { Id: "i-other", Port: 80 } }] });
    expect(await port().targetGroupsOf("i-old")).toEqual([{ targetGroupArn: TG(1), port: 8080 }]);
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(2);
  });

  it("registers and deregisters with the port and returns request ids; maps throttling", async () => {
    elb.on(RegisterTargetsCommand).resolves({ $metadata: { requestId: "req-r" } });
    elb.on(DeregisterTargetsCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "Throttling" }));
    expect(await port().register({ targetGroupArn: TG(1), instanceId: "i-new", port: 8080 })).toEqual({
      requestId: "req-r",
    });
    expect(elb.commandCalls(RegisterTargetsCommand)[0]!.args[0].input).toEqual({
      TargetGroupArn: TG(1),
      Targets: [{ Id: "i-new", Port: 8080 }],
    });
    await expect(port().deregister({ targetGroupArn: TG(1), instanceId: "i-old" })).rejects.toMatchObject({
      code: "aws_throttled",
    });
  });
});

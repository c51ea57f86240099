/** SdkEc2Port.getUserData: DescribeInstanceAttribute userData, decoded from base64 to plain text. */
import { DescribeInstanceAttributeCommand, EC2Client, EC2ServiceException } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { isCodedError } from "../../core/errors.js";
import { SdkEc2Port } from "./ec2.js";

const ec2 = mockClient(EC2Client);
const port = () => new SdkEc2Port(new EC2Client({ region: "us-east-1" }), "123456789012", "us-east-1");

afterEach(() => ec2.reset());

describe("SdkEc2Port.getUserData", () => {
  it("asks for the userData attribute of the instance and decodes it from base64", async () => {
    const script = "#!/bin/bash\necho 'héllo' > /etc/motd\n";
    ec2.on(DescribeInstanceAttributeCommand).resolves({
      $metadata: { requestId: "req-ud" },
      InstanceId: "i-old",
      UserData: { Value: Buffer.from(script, "utf8").toString("base64") },
    });
    expect(await port().getUserData({ instanceId: "i-old" })).toEqual({ userData: script, requestId: "req-ud" });
    const sent = ec2.commandCalls(DescribeInstanceAttributeCommand)[0]?.args[0].input;
    expect(sent).toEqual({ InstanceId: "i-old", Attribute: "userData" });
  });

  it("answers undefined when the instance has no user data (attribute missing or empty)", async () => {
    ec2
      .on(DescribeInstanceAttributeCommand)
      .resolvesOnce({ $metadata: { requestId: "req-1" }, InstanceId: "i-1" })
      .resolvesOnce({ $metadata: { requestId: "req-2" }, InstanceId: "i-1", UserData: {} });
    expect(await port().getUserData({ instanceId: "i-1" })).toEqual({ userData: undefined, requestId: "req-1" });
    expect(await port().getUserData({ instanceId: "i-1" })).toEqual({ userData: undefined, requestId: "req-2" });
  });

  it("maps SDK errors to coded errors naming the call", async () => {
    ec2.on(DescribeInstanceAttributeCommand).rejects(
      new EC2ServiceException({
        name: "UnauthorizedOperation",
        $fault: "client",
        message: "You are not authorized to perform this operation.",
        $metadata: { requestId: "req-denied" },
      }),
    );
    const e = await port()
      .getUserData({ instanceId: "i-1" })
      .catch((x: unknown) => x);
    expect(isCodedError(e, "aws_access_denied")).toBe(true);
    expect((e as Error).message).toContain("ec2:DescribeInstanceAttribute in 123456789012/us-east-1");
  });
});

/**
 * The launch-identity calls of SdkEc2Port on recorded request and response shapes (aws-sdk-client-mock):
 * what RunInstances, AssociateAddress, ModifyInstanceAttribute, AssignPrivateIpAddresses and the describe
 * calls send, and how a DescribeInstances answer maps to the identity the replacement reproduces.
 */
import {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateImageCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  EC2Client,
  type Instance,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { SdkEc2Port, toEc2Instance } from "./ec2.js";

const meta = (requestId: string) => ({ $metadata: { requestId } });
const ec2 = mockClient(EC2Client);
const port = () => new SdkEc2Port(new EC2Client({ region: "us-east-1" }), "123456789012", "us-east-1");
afterEach(() => ec2.reset());

/** A DescribeInstances instance as AWS answers it (fields trimmed to what spotwise reads). */
const recorded: Instance = {
  InstanceId: "i-0aaa",
  InstanceType: "m5.xlarge",
  Placement: { AvailabilityZone: "us-east-1a", GroupName: "app-spread", Tenancy: "default" },
  State: { Name: "running", Code: 16 },
  Architecture: "x86_64",
  VirtualizationType: "hvm",
  EbsOptimized: true,
  Monitoring: { State: "enabled" },
  SourceDestCheck: false,
  CpuOptions: { CoreCount: 2, ThreadsPerCore: 2 },
  HibernationOptions: { Configured: false },
  MetadataOptions: { HttpTokens: "required", HttpPutResponseHopLimit: 2, HttpEndpoint: "enabled", State: "applied" },
  RootDeviceName: "/dev/xvda",
  PrivateIpAddress: "10.0.1.10",
  BlockDeviceMappings: [
    { DeviceName: "/dev/xvda", Ebs: { VolumeId: "vol-root", DeleteOnTermination: true, Status: "attached" } },
    { DeviceName: "/dev/sdf", Ebs: { VolumeId: "vol-data", DeleteOnTermination: false, Status: "attached" } },
  ],
  NetworkInterfaces: [
    {
      NetworkInterfaceId: "eni-0aaa",
      Attachment: { DeviceIndex: 0 },
      PrivateIpAddresses: [
        { PrivateIpAddress: "10.0.1.10", Primary: true },
        { PrivateIpAddress: "10.0.1.11", Primary: false },
      ],
    },
  ],
  Tags: [{ Key: "Name", Value: "app-1" }],
};

describe("SdkEc2Port launch identity", () => {
  it("maps a recorded DescribeInstances answer to the launch identity", () => {
    expect(toEc2Instance(recorded)).toMatchObject({
      architecture: "x86_64",
      virtualizationType: "hvm",
      ebsOptimized: true,
      monitoring: true,
      sourceDestCheck: false,
      placement: { groupName: "app-spread", tenancy: "default" },
      cpuOptions: { coreCount: 2, threadsPerCore: 2 },
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2, httpEndpoint: "enabled" },
      privateIps: [
        { privateIp: "10.0.1.10", primary: true },
        { privateIp: "10.0.1.11", primary: false },
      ],
      blockDevices: [
        { deviceName: "/dev/xvda", volumeId: "vol-root", deleteOnTermination: true },
        { deviceName: "/dev/sdf", volumeId: "vol-data", deleteOnTermination: false },
      ],
    });
  });

  it("launches with the old instance's identity", async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: "i-0new" }], ...meta("req-run") });
    await port().runInstances({
      imageId: "ami-1",
      instanceType: "m5a.xlarge",
      az: "us-east-1a",
      subnetId: "subnet-a",
      securityGroupIds: ["sg-1"],
      tags: { "spotwise:managed": "true" },
      spot: true,
      clientToken: "saga-0",
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2, httpEndpoint: "enabled" },
      ebsOptimized: true,
      monitoring: true,
      placement: { groupName: "app-spread" },
      cpuOptions: { coreCount: 2, threadsPerCore: 1 },
      creditSpecification: "unlimited",
      hibernation: true,
      noDevices: ["/dev/sdf"],
    });
    expect(ec2.commandCalls(RunInstancesCommand)[0]!.args[0].input).toMatchObject({
      MetadataOptions: { HttpTokens: "required", HttpPutResponseHopLimit: 2, HttpEndpoint: "enabled" },
      EbsOptimized: true,
      Monitoring: { Enabled: true },
      Placement: { AvailabilityZone: "us-east-1a", GroupName: "app-spread" },
      CpuOptions: { CoreCount: 2, ThreadsPerCore: 1 },
      CreditSpecification: { CpuCredits: "unlimited" },
      HibernationOptions: { Configured: true },
      BlockDeviceMappings: [{ DeviceName: "/dev/sdf", NoDevice: "" }],
      InstanceMarketOptions: { MarketType: "spot" },
      ClientToken: "saga-0",
    });
  });

  it("images without the devices that are not copied", async () => {
    ec2.on(CreateImageCommand).resolves({ ImageId: "ami-1", ...meta("req-img") });
    await port().createImage({ instanceId: "i-0aaa", name: "n", noReboot: false, tags: {}, noDevices: ["/dev/sdf"] });
    expect(ec2.commandCalls(CreateImageCommand)[0]!.args[0].input.BlockDeviceMappings).toEqual([
      { DeviceName: "/dev/sdf", NoDevice: "" },
    ]);
  });

  it("puts an Elastic IP on a given private IP, and moves secondary IPs onto the primary interface", async () => {
    ec2.on(AssociateAddressCommand).resolves({ AssociationId: "eipassoc-1", ...meta("req-a") });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [recorded] }], ...meta("req-d") });
    ec2.on(AssignPrivateIpAddressesCommand).resolves(meta("req-assign"));
    const p = port();
    await p.associateAddress({
      allocationId: "eipalloc-2",
      instanceId: "i-0aaa",
      allowReassociation: true,
      privateIp: "10.0.1.11",
    });
    expect(ec2.commandCalls(AssociateAddressCommand)[0]!.args[0].input).toEqual({
      AllocationId: "eipalloc-2",
      InstanceId: "i-0aaa",
      PrivateIpAddress: "10.0.1.11",
      AllowReassociation: true,
    });
    expect(await p.assignPrivateIps({ instanceId: "i-0aaa", privateIps: ["10.0.1.11"] })).toEqual({
      requestId: "req-assign",
    });
    expect(ec2.commandCalls(AssignPrivateIpAddressesCommand)[0]!.args[0].input).toEqual({
      NetworkInterfaceId: "eni-0aaa",
      PrivateIpAddresses: ["10.0.1.11"],
      AllowReassignment: true,
    });
  });

  it("reads termination protection, shutdown behaviour and credits; modifies one attribute per request", async () => {
    ec2
      .on(DescribeInstanceAttributeCommand, { Attribute: "disableApiTermination" })
      .resolves({ DisableApiTermination: { Value: true }, ...meta("req-p") })
      .on(DescribeInstanceAttributeCommand, { Attribute: "instanceInitiatedShutdownBehavior" })
      .resolves({ InstanceInitiatedShutdownBehavior: { Value: "stop" }, ...meta("req-s") });
    ec2
      .on(DescribeInstanceCreditSpecificationsCommand)
      .resolves({ InstanceCreditSpecifications: [{ InstanceId: "i-0aaa", CpuCredits: "unlimited" }] });
    ec2.on(ModifyInstanceAttributeCommand).resolves(meta("req-m"));
    ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({ InstanceTypeOfferings: [{ InstanceType: "m5a.xlarge" }] });
    const p = port();
    expect(await p.describeLaunchAttributes({ instanceId: "i-0aaa", burstable: true })).toMatchObject({
      disableApiTermination: true,
      shutdownBehavior: "stop",
      creditSpecification: "unlimited",
    });
    await p.modifyInstanceAttribute({ instanceId: "i-0aaa", disableApiTermination: false, sourceDestCheck: false });
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceId: "i-0aaa", DisableApiTermination: { Value: false } },
      { InstanceId: "i-0aaa", SourceDestCheck: { Value: false } },
    ]);
    expect(
      await p.describeInstanceTypeOfferings({ az: "us-east-1a", instanceTypes: ["m5a.xlarge", "x9.huge"] }),
    ).toEqual(["m5a.xlarge"]);
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)[0]!.args[0].input).toMatchObject({
      LocationType: "availability-zone",
      Filters: [
        { Name: "location", Values: ["us-east-1a"] },
        { Name: "instance-type", Values: ["m5a.xlarge", "x9.huge"] },
      ],
    });
  });
});

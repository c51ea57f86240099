/**
 * The launch-identity calls of the EC2 port on the SDK: instance type offerings, the attributes DescribeInstances
 * does not carry, volumes, ModifyInstanceAttribute, and the RunInstances request that reproduces the old
 * instance (metadata options, EBS optimization, monitoring, placement, CPU options, credits, hibernation,
 * shutdown behaviour, private IP, data volumes left out of the image's mapping).
 */
import {
  type _InstanceType,
  AssignPrivateIpAddressesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
  type RunInstancesCommandInput,
} from "@aws-sdk/client-ec2";
import { CodedError } from "../../core/errors.js";
import type { Ec2Volume, LaunchAttributes, RunInstancesInput } from "../../core/ports/ec2.js";
import { tagSpecs, tagsOf } from "./ec2-map.js";

type Call = <T>(operation: string, run: () => Promise<T>) => Promise<T>;

export async function describeInstanceTypeOfferings(
  client: EC2Client,
  call: Call,
  input: { az: string; instanceTypes: string[] },
): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call("DescribeInstanceTypeOfferings", () =>
      client.send(
        new DescribeInstanceTypeOfferingsCommand({
          LocationType: "availability-zone",
          Filters: [
            { Name: "location", Values: [input.az] },
            { Name: "instance-type", Values: input.instanceTypes },
          ],
          NextToken: nextToken,
        }),
      ),
    );
    for (const o of page.InstanceTypeOfferings ?? []) if (o.InstanceType) out.push(o.InstanceType);
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return out;
}

export async function describeLaunchAttributes(
  client: EC2Client,
  call: Call,
  input: { instanceId: string; burstable: boolean; stop?: boolean },
): Promise<LaunchAttributes> {
  const protection = await call("DescribeInstanceAttribute", () =>
    client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: input.instanceId, Attribute: "disableApiTermination" }),
    ),
  );
  const shutdown = await call("DescribeInstanceAttribute", () =>
    client.send(
      new DescribeInstanceAttributeCommand({
        InstanceId: input.instanceId,
        Attribute: "instanceInitiatedShutdownBehavior",
      }),
    ),
  );
  let creditSpecification: string | undefined;
  if (input.burstable) {
    const credits = await call("DescribeInstanceCreditSpecifications", () =>
      client.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [input.instanceId] })),
    );
    creditSpecification = credits.InstanceCreditSpecifications?.[0]?.CpuCredits;
  }
  let disableApiStop: boolean | undefined;
  if (input.stop) {
    const stop = await call("DescribeInstanceAttribute", () =>
      client.send(new DescribeInstanceAttributeCommand({ InstanceId: input.instanceId, Attribute: "disableApiStop" })),
    );
    disableApiStop = stop.DisableApiStop?.Value === true;
  }
  const behaviour = shutdown.InstanceInitiatedShutdownBehavior?.Value;
  return {
    disableApiTermination: protection.DisableApiTermination?.Value === true,
    disableApiStop,
    shutdownBehavior: behaviour === "stop" || behaviour === "terminate" ? behaviour : undefined,
    creditSpecification,
    requestId: protection.$metadata.requestId,
  };
}

export async function describeVolumes(client: EC2Client, call: Call, volumeIds: string[]): Promise<Ec2Volume[]> {
  if (volumeIds.length === 0) return [];
  const out = await call("DescribeVolumes", () => client.send(new DescribeVolumesCommand({ VolumeIds: volumeIds })));
  return (out.Volumes ?? []).map((v) => ({
    volumeId: v.VolumeId ?? "",
    state: v.State ?? "unknown",
    az: v.AvailabilityZone,
    tags: tagsOf(v.Tags),
    attachments: (v.Attachments ?? []).map((a) => ({
      instanceId: a.InstanceId ?? "",
      deviceName: a.Device ?? "",
      state: a.State ?? "unknown",
    })),
  }));
}

export async function modifyInstanceAttribute(
  client: EC2Client,
  call: Call,
  input: { instanceId: string; disableApiTermination?: boolean; sourceDestCheck?: boolean },
): Promise<{ requestId?: string }> {
  let requestId: string | undefined;
  // the API takes one attribute per request
  if (input.disableApiTermination !== undefined) {
    const value = input.disableApiTermination;
    const out = await call("ModifyInstanceAttribute", () =>
      client.send(
        new ModifyInstanceAttributeCommand({ InstanceId: input.instanceId, DisableApiTermination: { Value: value } }),
      ),
    );
    requestId = out.$metadata.requestId;
  }
  if (input.sourceDestCheck !== undefined) {
    const value = input.sourceDestCheck;
    const out = await call("ModifyInstanceAttribute", () =>
      client.send(
        new ModifyInstanceAttributeCommand({ InstanceId: input.instanceId, SourceDestCheck: { Value: value } }),
      ),
    );
    requestId = out.$metadata.requestId;
  }
  return { requestId };
}

/** The RunInstances request for a replacement that is the same machine as the old one. */
export function runInstancesRequest(input: RunInstancesInput): RunInstancesCommandInput {
  const m = input.metadataOptions;
  const placement = input.placement;
  return {
    ImageId: input.imageId,
    InstanceType: input.instanceType as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    Placement: {
      AvailabilityZone: input.az,
      GroupName: placement?.groupName,
      Tenancy: placement?.tenancy as NonNullable<RunInstancesCommandInput["Placement"]>["Tenancy"],
      PartitionNumber: placement?.partitionNumber,
    },
    SubnetId: input.subnetId,
    PrivateIpAddress: input.privateIp,
    SecurityGroupIds: input.securityGroupIds.length ? input.securityGroupIds : undefined,
    IamInstanceProfile: input.iamInstanceProfileArn ? { Arn: input.iamInstanceProfileArn } : undefined,
    KeyName: input.keyName,
    UserData: input.userData === undefined ? undefined : Buffer.from(input.userData, "utf8").toString("base64"),
    TagSpecifications: tagSpecs(input.tags, "instance", "volume"),
    InstanceMarketOptions: input.spot
      ? { MarketType: "spot", SpotOptions: { SpotInstanceType: "one-time", InstanceInterruptionBehavior: "terminate" } }
      : undefined,
    MetadataOptions: m
      ? {
          HttpTokens: m.httpTokens,
          HttpPutResponseHopLimit: m.httpPutResponseHopLimit,
          HttpEndpoint: m.httpEndpoint,
          InstanceMetadataTags: m.instanceMetadataTags,
        }
      : undefined,
    EbsOptimized: input.ebsOptimized,
    Monitoring: input.monitoring === undefined ? undefined : { Enabled: input.monitoring },
    CpuOptions: input.cpuOptions
      ? { CoreCount: input.cpuOptions.coreCount, ThreadsPerCore: input.cpuOptions.threadsPerCore }
      : undefined,
    CreditSpecification: input.creditSpecification ? { CpuCredits: input.creditSpecification } : undefined,
    HibernationOptions: input.hibernation === undefined ? undefined : { Configured: input.hibernation },
    InstanceInitiatedShutdownBehavior: input.shutdownBehavior,
    DisableApiTermination: input.disableApiTermination,
    BlockDeviceMappings: input.noDevices?.length
      ? input.noDevices.map((DeviceName) => ({ DeviceName, NoDevice: "" }))
      : undefined,
    ClientToken: input.clientToken,
  };
}

/** AssignPrivateIpAddresses on the instance's primary network interface, moving the addresses from their holder. */
export async function assignPrivateIps(
  client: EC2Client,
  call: Call,
  input: { instanceId: string; privateIps: string[] },
): Promise<{ requestId?: string }> {
  const d = await call("DescribeInstances", () =>
    client.send(new DescribeInstancesCommand({ InstanceIds: [input.instanceId] })),
  );
  const inst = d.Reservations?.[0]?.Instances?.[0];
  const eni = inst?.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId;
  if (!eni) throw new CodedError("not_found", `instance ${input.instanceId} has no primary network interface`);
  const out = await call("AssignPrivateIpAddresses", () =>
    client.send(
      new AssignPrivateIpAddressesCommand({
        NetworkInterfaceId: eni,
        PrivateIpAddresses: input.privateIps,
        AllowReassignment: true,
      }),
    ),
  );
  return { requestId: out.$metadata.requestId };
}

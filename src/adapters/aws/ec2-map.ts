/** Shape mapping between @aws-sdk/client-ec2 and the Ec2Port (tags, instances, images, instance types). */
import type {
  Filter,
  Instance,
  ResourceType,
  InstanceTypeInfo as SdkInstanceTypeInfo,
  Tag,
  TagSpecification,
} from "@aws-sdk/client-ec2";
import type { Ec2Image, Ec2Instance, Ec2InstanceState } from "../../core/ports/ec2.js";
import type { EpochMs, InstanceTypeInfo } from "../../core/types.js";

export function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

export function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function tagSpecs(tags: Record<string, string>, ...types: ResourceType[]): TagSpecification[] | undefined {
  if (Object.keys(tags).length === 0) return undefined;
  return types.map((ResourceType) => ({ ResourceType, Tags: tagList(tags) }));
}

export function tagFilters(tags: Record<string, string> | undefined): Filter[] {
  return Object.entries(tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));
}

export const time = (d: Date | undefined): EpochMs | undefined => (d ? d.getTime() : undefined);

export const LIVE_STATES: Ec2InstanceState[] = ["pending", "running", "stopping", "stopped", "shutting-down"];

export function imageState(s: string | undefined): Ec2Image["state"] {
  switch (s) {
    case "available":
    case "deregistered":
    case "pending":
      return s;
    case "transient":
      return "pending";
    default:
      return "failed"; // invalid, failed, error, disabled
  }
}

export function toInstanceTypeInfo(t: SdkInstanceTypeInfo): InstanceTypeInfo {
  const gpus = t.GpuInfo?.Gpus ?? [];
  const first = gpus[0];
  return {
    instanceType: t.InstanceType ?? "",
    vcpus: t.VCpuInfo?.DefaultVCpus ?? 0,
    memoryMib: t.MemoryInfo?.SizeInMiB ?? 0,
    architectures: [...(t.ProcessorInfo?.SupportedArchitectures ?? [])],
    gpuCount: gpus.reduce((s, g) => s + (g.Count ?? 0), 0),
    gpuModel: first ? [first.Manufacturer, first.Name].filter(Boolean).join(" ") || null : null,
    burstable: t.BurstablePerformanceSupported === true,
    currentGeneration: t.CurrentGeneration === true,
    virtualizationTypes: t.SupportedVirtualizationTypes ? [...t.SupportedVirtualizationTypes] : undefined,
  };
}

export function toEc2Instance(i: Instance): Ec2Instance {
  return {
    instanceId: i.InstanceId ?? "",
    instanceType: i.InstanceType ?? "",
    az: i.Placement?.AvailabilityZone ?? "",
    state: (i.State?.Name ?? "pending") as Ec2InstanceState,
    lifecycle: i.InstanceLifecycle === "spot" ? "spot" : "on-demand",
    subnetId: i.SubnetId,
    securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId ?? "").filter(Boolean),
    iamInstanceProfileArn: i.IamInstanceProfile?.Arn,
    keyName: i.KeyName,
    imageId: i.ImageId,
    launchTime: time(i.LaunchTime),
    tags: tagsOf(i.Tags),
    privateIp: i.PrivateIpAddress,
    ...launchIdentity(i),
  };
}

/** The launch-time identity DescribeInstances carries, so the replacement can be the same machine. */
function launchIdentity(i: Instance): Partial<Ec2Instance> {
  const primary = (i.NetworkInterfaces ?? []).find((n) => n.Attachment?.DeviceIndex === 0);
  const m = i.MetadataOptions;
  return {
    architecture: i.Architecture,
    virtualizationType: i.VirtualizationType,
    ebsOptimized: i.EbsOptimized,
    monitoring: i.Monitoring?.State === undefined ? undefined : i.Monitoring.State === "enabled",
    sourceDestCheck: i.SourceDestCheck,
    placement: {
      groupName: i.Placement?.GroupName || undefined,
      tenancy: i.Placement?.Tenancy,
      partitionNumber: i.Placement?.PartitionNumber,
    },
    cpuOptions: i.CpuOptions
      ? { coreCount: i.CpuOptions.CoreCount, threadsPerCore: i.CpuOptions.ThreadsPerCore }
      : undefined,
    hibernation: i.HibernationOptions?.Configured,
    metadataOptions: m
      ? {
          httpTokens: m.HttpTokens,
          httpPutResponseHopLimit: m.HttpPutResponseHopLimit,
          httpEndpoint: m.HttpEndpoint,
          instanceMetadataTags: m.InstanceMetadataTags,
        }
      : undefined,
    privateIps: primary?.PrivateIpAddresses?.map((p) => ({
      privateIp: p.PrivateIpAddress ?? "",
      primary: p.Primary === true,
    })).filter((p) => p.privateIp),
    networkInterfaceCount: i.NetworkInterfaces?.length,
    rootDeviceName: i.RootDeviceName,
    blockDevices: (i.BlockDeviceMappings ?? [])
      .filter((b) => b.DeviceName && b.Ebs?.VolumeId)
      .map((b) => ({
        deviceName: b.DeviceName as string,
        volumeId: b.Ebs?.VolumeId as string,
        deleteOnTermination: b.Ebs?.DeleteOnTermination === true,
      })),
  };
}

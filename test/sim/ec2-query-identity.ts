/**
 * The launch-identity part of the simulated EC2 Query API: instance types and offerings, instance attributes,
 * credit specifications, volumes (and moving them: Stop/StartInstances, Detach/AttachVolume),
 * ModifyInstanceAttribute, AssignPrivateIpAddresses, and the identity fields of
 * an instance in DescribeInstances. Field names follow the EC2 API's XML.
 */
import type { SimEc2Port } from "../../src/adapters/sim/ec2-port.js";
import type { Ec2Instance, RunInstancesInput } from "../../src/core/ports/ec2.js";

export type Params = URLSearchParams;
export type Xml = string;

export const esc = (s: unknown) =>
  String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
export const el = (name: string, value: unknown): Xml =>
  value === undefined || value === null ? "" : `<${name}>${esc(value)}</${name}>`;
export const set = (name: string, items: Xml[]): Xml =>
  `<${name}>${items.map((i) => `<item>${i}</item>`).join("")}</${name}>`;
export const tagSet = (tags: Record<string, string>) =>
  set(
    "tagSet",
    Object.entries(tags).map(([k, v]) => el("key", k) + el("value", v)),
  );

/** `Prefix.1`, `Prefix.2`, … as a list. */
export function list(p: Params, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; p.has(`${prefix}.${i}`); i++) out.push(p.get(`${prefix}.${i}`) as string);
  return out;
}

/** The simulated primary network interface of an instance. */
export const eniOf = (instanceId: string) => `eni-${instanceId.slice(2)}`;

/** Placement, identity and devices of an instance, as DescribeInstances answers them. */
export function identityXml(i: Ec2Instance): Xml {
  const m = i.metadataOptions;
  return (
    `<placement>${el("availabilityZone", i.az)}${el("groupName", i.placement?.groupName)}${el("tenancy", i.placement?.tenancy)}${el("partitionNumber", i.placement?.partitionNumber)}</placement>` +
    el("architecture", i.architecture) +
    el("virtualizationType", i.virtualizationType) +
    el("rootDeviceName", i.rootDeviceName) +
    el("ebsOptimized", i.ebsOptimized) +
    el("sourceDestCheck", i.sourceDestCheck) +
    (i.monitoring === undefined
      ? ""
      : `<monitoring>${el("state", i.monitoring ? "enabled" : "disabled")}</monitoring>`) +
    (i.hibernation === undefined ? "" : `<hibernationOptions>${el("configured", i.hibernation)}</hibernationOptions>`) +
    (i.cpuOptions
      ? `<cpuOptions>${el("coreCount", i.cpuOptions.coreCount)}${el("threadsPerCore", i.cpuOptions.threadsPerCore)}</cpuOptions>`
      : "") +
    (m
      ? `<metadataOptions>${el("state", "applied")}${el("httpTokens", m.httpTokens)}${el("httpPutResponseHopLimit", m.httpPutResponseHopLimit)}${el("httpEndpoint", m.httpEndpoint)}${el("instanceMetadataTags", m.instanceMetadataTags)}</metadataOptions>`
      : "") +
    set(
      "blockDeviceMapping",
      (i.blockDevices ?? []).map(
        (b) =>
          `${el("deviceName", b.deviceName)}<ebs>${el("volumeId", b.volumeId)}${el("status", "attached")}${el("deleteOnTermination", b.deleteOnTermination)}</ebs>`,
      ),
    ) +
    set("networkInterfaceSet", [
      `${el("networkInterfaceId", eniOf(i.instanceId))}${el("subnetId", i.subnetId)}<attachment>${el("deviceIndex", 0)}</attachment>` +
        set(
          "privateIpAddressesSet",
          (i.privateIps ?? []).map((p) => el("privateIpAddress", p.privateIp) + el("primary", p.primary)),
        ),
    ])
  );
}

/** The launch-identity parameters of a RunInstances request. */
export function runInstancesIdentity(p: Params): Partial<RunInstancesInput> {
  const num = (k: string) => (p.has(k) ? Number(p.get(k)) : undefined);
  const bool = (k: string) => (p.has(k) ? p.get(k) === "true" : undefined);
  const noDevices: string[] = [];
  for (let i = 1; p.has(`BlockDeviceMapping.${i}.DeviceName`); i++) {
    if (p.has(`BlockDeviceMapping.${i}.NoDevice`))
      noDevices.push(p.get(`BlockDeviceMapping.${i}.DeviceName`) as string);
  }
  const tokens = p.get("MetadataOptions.HttpTokens");
  return {
    metadataOptions: p.has("MetadataOptions.HttpTokens")
      ? {
          httpTokens: tokens === "required" ? "required" : "optional",
          httpPutResponseHopLimit: num("MetadataOptions.HttpPutResponseHopLimit"),
          httpEndpoint: p.get("MetadataOptions.HttpEndpoint") === "disabled" ? "disabled" : "enabled",
          instanceMetadataTags: p.get("MetadataOptions.InstanceMetadataTags") === "enabled" ? "enabled" : "disabled",
        }
      : undefined,
    ebsOptimized: bool("EbsOptimized"),
    monitoring: bool("Monitoring.Enabled"),
    placement:
      p.has("Placement.GroupName") || p.has("Placement.Tenancy")
        ? {
            groupName: p.get("Placement.GroupName") ?? undefined,
            tenancy: p.get("Placement.Tenancy") ?? undefined,
            partitionNumber: num("Placement.PartitionNumber"),
          }
        : undefined,
    cpuOptions: p.has("CpuOptions.CoreCount")
      ? { coreCount: num("CpuOptions.CoreCount"), threadsPerCore: num("CpuOptions.ThreadsPerCore") }
      : undefined,
    creditSpecification: p.get("CreditSpecification.CpuCredits") ?? undefined,
    hibernation: bool("HibernationOptions.Configured"),
    shutdownBehavior: (p.get("InstanceInitiatedShutdownBehavior") as "stop" | "terminate" | null) ?? undefined,
    disableApiTermination: bool("DisableApiTermination"),
    privateIp: p.get("PrivateIpAddress") ?? undefined,
    noDevices: noDevices.length ? noDevices : undefined,
  };
}

/** Answers the identity actions; undefined for any other action. */
export async function identityAction(action: string, p: Params, port: SimEc2Port): Promise<Xml | undefined> {
  switch (action) {
    case "DescribeInstanceTypes": {
      const { types } = await port.describeInstanceTypes({ instanceTypes: list(p, "InstanceType") });
      return set(
        "instanceTypeSet",
        types.map(
          (t) =>
            el("instanceType", t.instanceType) +
            el("currentGeneration", t.currentGeneration) +
            el("burstablePerformanceSupported", t.burstable) +
            `<vCpuInfo>${el("defaultVCpus", t.vcpus)}</vCpuInfo><memoryInfo>${el("sizeInMiB", t.memoryMib)}</memoryInfo>` +
            `<processorInfo>${set("supportedArchitectures", t.architectures.map(esc))}</processorInfo>` +
            set("supportedVirtualizationTypes", (t.virtualizationTypes ?? ["hvm"]).map(esc)),
        ),
      );
    }
    case "DescribeInstanceTypeOfferings": {
      const filters = new Map<string, string[]>();
      for (let i = 1; p.has(`Filter.${i}.Name`); i++)
        filters.set(p.get(`Filter.${i}.Name`) as string, list(p, `Filter.${i}.Value`));
      const az = filters.get("location")?.[0] ?? "";
      const types = await port.describeInstanceTypeOfferings({ az, instanceTypes: filters.get("instance-type") ?? [] });
      return set(
        "instanceTypeOfferingSet",
        types.map((t) => el("instanceType", t) + el("locationType", "availability-zone") + el("location", az)),
      );
    }
    case "DescribeInstanceAttribute": {
      const instanceId = p.get("InstanceId") ?? "";
      const attribute = p.get("Attribute");
      const a = await port.describeLaunchAttributes({
        instanceId,
        burstable: false,
        stop: attribute === "disableApiStop",
      });
      if (attribute === "disableApiStop") {
        return `${el("instanceId", instanceId)}<disableApiStop>${el("value", a.disableApiStop)}</disableApiStop>`;
      }
      if (attribute === "disableApiTermination") {
        return `${el("instanceId", instanceId)}<disableApiTermination>${el("value", a.disableApiTermination)}</disableApiTermination>`;
      }
      if (attribute === "instanceInitiatedShutdownBehavior") {
        return `${el("instanceId", instanceId)}<instanceInitiatedShutdownBehavior>${el("value", a.shutdownBehavior)}</instanceInitiatedShutdownBehavior>`;
      }
      return undefined;
    }
    case "DescribeInstanceCreditSpecifications": {
      const ids = list(p, "InstanceId");
      const out: Xml[] = [];
      for (const instanceId of ids) {
        const a = await port.describeLaunchAttributes({ instanceId, burstable: true });
        out.push(el("instanceId", instanceId) + el("cpuCredits", a.creditSpecification));
      }
      return set("instanceCreditSpecificationSet", out);
    }
    case "DescribeVolumes": {
      const vols = await port.describeVolumes({ volumeIds: list(p, "VolumeId") });
      return set(
        "volumeSet",
        vols.map(
          (v) =>
            el("volumeId", v.volumeId) +
            el("availabilityZone", v.az) +
            el("status", v.state) +
            set(
              "attachmentSet",
              v.attachments.map(
                (a) =>
                  el("volumeId", v.volumeId) +
                  el("instanceId", a.instanceId) +
                  el("device", a.deviceName) +
                  el("status", a.state),
              ),
            ) +
            tagSet(v.tags),
        ),
      );
    }
    case "ModifyInstanceAttribute": {
      const bool = (k: string) => (p.has(k) ? p.get(k) === "true" : undefined);
      await port.modifyInstanceAttribute({
        instanceId: p.get("InstanceId") ?? "",
        disableApiTermination: bool("DisableApiTermination.Value"),
        sourceDestCheck: bool("SourceDestCheck.Value"),
      });
      return el("return", "true");
    }
    case "StopInstances":
    case "StartInstances": {
      const ids = list(p, "InstanceId");
      const stop = action === "StopInstances";
      await (stop ? port.stopInstances({ instanceIds: ids }) : port.startInstances({ instanceIds: ids }));
      const states = await port.describeInstanceStatus({ instanceIds: ids });
      return set(
        "instancesSet",
        states.map((s) => `${el("instanceId", s.instanceId)}<currentState>${el("name", s.state)}</currentState>`),
      );
    }
    case "DetachVolume":
    case "AttachVolume": {
      const input = {
        volumeId: p.get("VolumeId") ?? "",
        instanceId: p.get("InstanceId") ?? "",
        deviceName: p.get("Device") ?? "",
      };
      await (action === "DetachVolume" ? port.detachVolume(input) : port.attachVolume(input));
      const [v] = await port.describeVolumes({ volumeIds: [input.volumeId] });
      const a = v?.attachments[0];
      return (
        el("volumeId", input.volumeId) +
        el("instanceId", input.instanceId) +
        el("device", input.deviceName) +
        el("status", a?.state ?? "detached")
      );
    }
    case "AssignPrivateIpAddresses": {
      const eni = p.get("NetworkInterfaceId") ?? "";
      await port.assignPrivateIps({ instanceId: `i-${eni.slice(4)}`, privateIps: list(p, "PrivateIpAddress") });
      return el("return", "true");
    }
    default:
      return undefined;
  }
}

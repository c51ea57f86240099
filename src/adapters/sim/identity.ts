/**
 * The simulated cloud's launch identity and its AWS answers: which instance types exist (the bundled catalog,
 * plus the types the simulated market and fleet use), where they are offered, the architecture of images, the
 * attributes RunInstances accepts for a spot launch, EBS volumes with their own tags, and termination
 * protection. Answers are shaped like EC2's (InvalidParameterValue, Unsupported, InvalidParameterCombination,
 * InvalidIPAddress.InUse).
 */
import { readFileSync } from "node:fs";
import { parseCatalogCsv } from "../../core/market/tables.js";
import type { Ec2Volume, LaunchAttributes, RunInstancesInput } from "../../core/ports/ec2.js";
import type { EpochMs, InstanceTypeInfo } from "../../core/types.js";
import { BUNDLED, bundledPath } from "../tables/index.js";
import type { SimCloud, SimImage, SimInstance } from "./cloud.js";
import { attachmentState } from "./volumes.js";

export interface SimVolume {
  volumeId: string;
  accountId: string;
  region: string;
  az: string;
  tags: Record<string, string>;
  attachment?: {
    instanceId: string;
    deviceName: string;
    deleteOnTermination: boolean;
    /** AttachVolume was called at (attaching until latencies.volumeMs later); absent: attached at launch. */
    attachedAt?: EpochMs;
    /** DetachVolume was called at (detaching until latencies.volumeMs later). */
    detachingAt?: EpochMs;
  };
  deleted?: boolean;
}

/** An error shaped like the SDK's for an EC2 error code. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

const OLD_FAMILIES = /^(t1|m1|m2|c1)\./;

/** Architecture of a type the catalog does not list: Graviton families end their generation in "g". */
function guessArchitectures(type: string): string[] {
  return /^[a-z]+\d+g[a-z]*\./.test(type) || type.startsWith("a1.") ? ["arm64"] : ["x86_64"];
}

/** What EC2 knows of `type` in this simulated world; undefined when it does not exist. */
export function simTypeInfo(cloud: SimCloud, type: string): InstanceTypeInfo | undefined {
  const listed = cloud.instanceTypes.find((t) => t.instanceType === type);
  const known =
    listed ??
    cloud.catalog().get(type) ??
    (cloud.prices.some((p) => p.instanceType === type) ||
    [...cloud.instances.values()].some((i) => i.instanceType === type)
      ? {
          instanceType: type,
          vcpus: 0,
          memoryMib: 0,
          architectures: guessArchitectures(type),
          gpuCount: 0,
          gpuModel: null,
          burstable: /^t\d/.test(type),
          currentGeneration: true,
        }
      : undefined);
  if (!known) return undefined;
  return {
    ...known,
    virtualizationTypes: known.virtualizationTypes ?? (OLD_FAMILIES.test(type) ? ["hvm", "paravirtual"] : ["hvm"]),
  };
}

/** The bundled instance-type catalog (data/instance-types.csv). */
export function loadSimCatalog(): Map<string, InstanceTypeInfo> {
  const path = bundledPath(BUNDLED.catalog);
  return parseCatalogCsv(readFileSync(path, "utf8"), path);
}

export function offered(cloud: SimCloud, region: string, az: string, type: string): boolean {
  return simTypeInfo(cloud, type) !== undefined && !cloud.notOffered.has(`${region}/${az}/${type}`);
}

/** RunInstances' validation, in the order EC2 answers. */
export function validateLaunch(cloud: SimCloud, region: string, input: RunInstancesInput, image: SimImage): void {
  const info = simTypeInfo(cloud, input.instanceType);
  if (!info) throw awsError("InvalidParameterValue", `Invalid value '${input.instanceType}' for InstanceType.`);
  if (!offered(cloud, region, input.az, input.instanceType)) {
    throw awsError(
      "Unsupported",
      `Your requested instance type (${input.instanceType}) is not supported in your requested Availability Zone (${input.az}).`,
    );
  }
  if (image.architecture && !info.architectures.includes(image.architecture)) {
    throw awsError(
      "InvalidParameterValue",
      `The architecture '${info.architectures.join(",")}' of the specified instance type does not match the architecture '${image.architecture}' of the specified AMI.`,
    );
  }
  if (input.spot && input.disableApiTermination) {
    throw awsError("InvalidParameterCombination", "You can't enable termination protection for Spot Instances.");
  }
  if (input.spot && input.shutdownBehavior === "stop") {
    throw awsError(
      "InvalidParameterCombination",
      "The instance initiated shutdown behavior 'stop' is not supported for one-time Spot Instance requests.",
    );
  }
  if (input.creditSpecification && !info.burstable) {
    throw awsError("InvalidParameterCombination", `CreditSpecification is not supported for ${input.instanceType}.`);
  }
  if (input.privateIp) {
    const holder = [...cloud.instances.values()].find(
      (i) => cloud.stateOf(i) !== "terminated" && i.privateIps?.some((p) => p.privateIp === input.privateIp),
    );
    if (holder) throw awsError("InvalidIPAddress.InUse", `Address ${input.privateIp} is in use.`);
  }
}

/** The launch-time identity a RunInstances request gives the new instance. */
export function launchedIdentity(input: RunInstancesInput, image: SimImage): Partial<SimInstance> {
  return {
    architecture: image.architecture,
    virtualizationType: "hvm",
    metadataOptions: {
      httpTokens: input.metadataOptions?.httpTokens ?? "optional",
      httpPutResponseHopLimit: input.metadataOptions?.httpPutResponseHopLimit ?? 1,
      httpEndpoint: input.metadataOptions?.httpEndpoint ?? "enabled",
      instanceMetadataTags: input.metadataOptions?.instanceMetadataTags ?? "disabled",
    },
    ebsOptimized: input.ebsOptimized ?? false,
    monitoring: input.monitoring ?? false,
    sourceDestCheck: true,
    placement: { tenancy: "default", ...(input.placement ?? {}) },
    cpuOptions: input.cpuOptions,
    hibernation: input.hibernation ?? false,
    creditSpecification: input.creditSpecification,
    shutdownBehavior: input.shutdownBehavior ?? "stop",
    disableApiTermination: input.disableApiTermination ?? false,
    rootDeviceName: image.rootDeviceName,
  };
}

/** Creates the volumes of a launch from the image's devices (minus NoDevice), tagged as TagSpecifications says. */
export function createLaunchVolumes(
  cloud: SimCloud,
  inst: SimInstance,
  image: SimImage,
  input: RunInstancesInput,
): void {
  const skip = new Set(input.noDevices ?? []);
  inst.blockDevices = [];
  for (const d of image.devices ?? [{ deviceName: "/dev/xvda", deleteOnTermination: true }]) {
    if (skip.has(d.deviceName)) continue;
    const volumeId = cloud.id("vol");
    cloud.volumes.set(volumeId, {
      volumeId,
      accountId: inst.accountId,
      region: inst.region,
      az: inst.az,
      tags: { ...input.tags },
      attachment: { instanceId: inst.instanceId, deviceName: d.deviceName, deleteOnTermination: d.deleteOnTermination },
    });
    inst.blockDevices.push({ volumeId, deviceName: d.deviceName, deleteOnTermination: d.deleteOnTermination });
  }
}

export function launchAttributes(i: SimInstance, burstable: boolean): LaunchAttributes {
  return {
    disableApiTermination: i.disableApiTermination === true,
    shutdownBehavior: i.shutdownBehavior ?? "stop",
    creditSpecification: burstable ? (i.creditSpecification ?? "standard") : undefined,
  };
}

export function volumeView(cloud: SimCloud, v: SimVolume): Ec2Volume {
  const att = v.attachment;
  const holder = att ? cloud.instances.get(att.instanceId) : undefined;
  return {
    volumeId: v.volumeId,
    state: v.deleted ? "deleted" : att ? "in-use" : "available",
    az: v.az,
    tags: { ...v.tags },
    attachments:
      att && holder
        ? [{ instanceId: att.instanceId, deviceName: att.deviceName, state: attachmentState(cloud, att) }]
        : [],
  };
}

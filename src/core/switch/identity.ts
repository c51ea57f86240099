/**
 * The same machine on the other side: what of the old instance's launch-time identity the replacement gets,
 * and what it cannot get (said in the --dry-run plan and the recommendation, never dropped in silence).
 * Pure functions over what preflight saw.
 */
import type { Ec2Instance, LaunchProperties, RunInstancesInput } from "../ports/ec2.js";
import type { PoolKey } from "../types.js";

export interface LaunchIdentity extends LaunchProperties {
  architecture?: string;
  virtualizationType?: string;
  sourceDestCheck?: boolean;
  /** Private IPs of the primary network interface, the primary first. */
  privateIps: Array<{ privateIp: string; primary: boolean }>;
  networkInterfaceCount?: number;
  rootDeviceName?: string;
  /** EBS volumes with their own tags. */
  volumes: Array<{ deviceName: string; volumeId: string; deleteOnTermination: boolean; tags: Record<string, string> }>;
  /** Instance types (of the targets) that are burstable. */
  burstableTargets?: string[];
}

export interface CarryPlan {
  carried: string[];
  notCarried: string[];
}

const copyTags = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith("aws:") && !k.startsWith("spotwise:")));

/** The RunInstances fields that reproduce the old instance in `target` (a spot launch). */
export function launchOptions(
  l: LaunchIdentity | undefined,
  sourceType: string,
  target: PoolKey,
): Partial<RunInstancesInput> {
  if (!l) return {};
  const out: Partial<RunInstancesInput> = {
    metadataOptions: l.metadataOptions,
    ebsOptimized: l.ebsOptimized,
    monitoring: l.monitoring,
    hibernation: l.hibernation || undefined,
  };
  const tenancy = l.placement?.tenancy === "host" ? undefined : l.placement?.tenancy;
  if (l.placement?.groupName || (tenancy && tenancy !== "default")) {
    out.placement = { groupName: l.placement?.groupName, tenancy, partitionNumber: l.placement?.partitionNumber };
  }
  if (l.cpuOptions && target.instanceType === sourceType) out.cpuOptions = l.cpuOptions;
  if (l.creditSpecification && l.burstableTargets?.includes(target.instanceType)) {
    out.creditSpecification = l.creditSpecification;
  }
  const moved = movedVolumes(l);
  if (moved.length) out.noDevices = moved.map((v) => v.deviceName);
  return out;
}

/** Non-root volumes kept on termination: moved to the replacement, not copied. */
export function movedVolumes(l: LaunchIdentity | undefined) {
  return (l?.volumes ?? []).filter((v) => v.deviceName !== l?.rootDeviceName && !v.deleteOnTermination);
}

/** Which data-volume mode applies, for the plan, the summary and the recommendation; undefined without any. */
export function dataVolumeMode(l: LaunchIdentity | undefined): string | undefined {
  return l ? dataVolumeModeOf({ blockDevices: l.volumes, rootDeviceName: l.rootDeviceName }) : undefined;
}

/**
 * The same line from an instance as DescribeInstances answers it (a recommendation has no preflight): its
 * non-root volumes kept on termination are moved, with the instance stopped during the move.
 */
export function dataVolumeModeOf(i: Pick<Ec2Instance, "blockDevices" | "rootDeviceName">): string | undefined {
  const moved = (i.blockDevices ?? []).filter((v) => v.deviceName !== i.rootDeviceName && !v.deleteOnTermination);
  if (moved.length === 0) return undefined;
  return `data volumes moved: ${moved.map((v) => `${v.volumeId} at ${v.deviceName}`).join(", ")} (instance stopped during the move)`;
}

/** Tags per device name of the old instance's volumes, to put on the replacement's volumes of the same device. */
export function volumeTags(l: LaunchIdentity | undefined): Map<string, Record<string, string>> {
  return new Map((l?.volumes ?? []).map((v) => [v.deviceName, copyTags(v.tags)]));
}

/** Secondary private IPs of the old primary interface: moved at cutover when the replacement is in the same subnet. */
export function secondaryIps(l: LaunchIdentity | undefined): string[] {
  return (l?.privateIps ?? []).filter((p) => !p.primary).map((p) => p.privateIp);
}

/** What the replacement in `target` reproduces, and what it cannot, for the plan and the recommendation. */
export function identityPlan(
  l: LaunchIdentity | undefined,
  o: {
    sourceType: string;
    target: PoolKey;
    sameSubnet: boolean;
    addresses: Array<{ publicIp: string; privateIp?: string }>;
  },
): CarryPlan {
  const carried: string[] = [];
  const notCarried: string[] = [];
  if (!l) return { carried, notCarried: ["launch identity unknown (saga started by an older spotwise)"] };
  const m = l.metadataOptions;
  if (m) {
    carried.push(
      `instance metadata: HttpTokens=${m.httpTokens ?? "optional"}, hop limit ${m.httpPutResponseHopLimit ?? 1}, endpoint ${m.httpEndpoint ?? "enabled"}, tags ${m.instanceMetadataTags ?? "disabled"}`,
    );
  }
  if (l.ebsOptimized) carried.push("EBS-optimized");
  if (l.monitoring) carried.push("detailed monitoring");
  if (l.sourceDestCheck === false) carried.push("source/destination check off (set after launch)");
  if (l.placement?.groupName) carried.push(`placement group ${l.placement.groupName}`);
  if (l.placement?.tenancy === "dedicated") carried.push("dedicated tenancy");
  if (l.placement?.tenancy === "host") notCarried.push("host tenancy (Spot Instances cannot run on Dedicated Hosts)");
  if (l.hibernation) carried.push("hibernation");
  if (l.cpuOptions?.coreCount !== undefined) {
    if (o.target.instanceType === o.sourceType) carried.push(`CPU options ${JSON.stringify(l.cpuOptions)}`);
    else {
      notCarried.push(
        `CPU options ${JSON.stringify(l.cpuOptions)} (specific to ${o.sourceType}; ${o.target.instanceType} uses its defaults)`,
      );
    }
  }
  if (l.creditSpecification) {
    if (l.burstableTargets?.includes(o.target.instanceType)) carried.push(`CPU credits ${l.creditSpecification}`);
    else notCarried.push(`CPU credits ${l.creditSpecification} (${o.target.instanceType} is not burstable)`);
  }
  if (l.disableApiTermination) {
    notCarried.push(
      "termination protection (AWS does not allow it on Spot Instances); it is turned off on the old instance only right before it is terminated, after the replacement passed its checks",
    );
  }
  if (l.shutdownBehavior === "stop") {
    notCarried.push("shutdown behaviour 'stop' (a one-time Spot Instance terminates on shutdown)");
  }
  const mode = dataVolumeMode(l);
  if (mode) {
    carried.push(`${mode}; same AZ only, an EBS volume attaches only in its own AZ`);
    notCarried.push(
      "later switches by spotwise (the replacement is a one-time Spot Instance, which EC2 cannot stop to move its data volumes again; switch it by hand)",
    );
  }
  const keptRoot = l.volumes.find((v) => v.deviceName === l.rootDeviceName && !v.deleteOnTermination);
  if (keptRoot) {
    notCarried.push(
      `root volume ${keptRoot.volumeId} is kept on termination (DeleteOnTermination=false): the replacement boots from the image, and the old root volume stays behind, detached, after the old instance is terminated; delete it once you no longer need it`,
    );
  }
  const copied = l.volumes.filter((v) => v.deviceName !== l.rootDeviceName && v.deleteOnTermination);
  if (copied.length) {
    carried.push(
      `data volumes copied from the image (DeleteOnTermination=true, deleted with the old instance): ${copied.map((v) => v.deviceName).join(", ")}`,
    );
  }
  const tagged = l.volumes.filter((v) => Object.keys(copyTags(v.tags)).length);
  if (tagged.length) carried.push(`volume tags per volume (${tagged.map((v) => v.deviceName).join(", ")})`);
  const primary = l.privateIps.find((p) => p.primary)?.privateIp;
  if (primary) {
    notCarried.push(
      o.sameSubnet
        ? `primary private IP ${primary} (the old instance holds it until it is terminated, after the replacement took over); the replacement gets a new one`
        : `primary private IP ${primary} (the target AZ is another subnet); the replacement gets a new one`,
    );
  }
  const secondary = secondaryIps(l);
  if (secondary.length) {
    if (o.sameSubnet) carried.push(`secondary private IPs ${secondary.join(", ")} (moved at cutover)`);
    else notCarried.push(`secondary private IPs ${secondary.join(", ")} (the target AZ is another subnet)`);
  }
  for (const a of o.addresses) {
    const onSecondary = a.privateIp !== undefined && a.privateIp !== primary;
    if (onSecondary && !o.sameSubnet) {
      notCarried.push(`Elastic IP ${a.publicIp} (on ${a.privateIp}, which cannot move to another subnet)`);
    } else {
      carried.push(`Elastic IP ${a.publicIp} → ${onSecondary ? a.privateIp : "the new primary private IP"}`);
    }
  }
  if ((l.networkInterfaceCount ?? 1) > 1) {
    notCarried.push(`${(l.networkInterfaceCount ?? 1) - 1} additional network interface(s)`);
  }
  return { carried, notCarried };
}

/**
 * The Ec2Port on @aws-sdk/client-ec2: one instance per (account, region). Maps SDK shapes to port shapes,
 * SDK errors to CodedErrors (mapAwsError) and returns AWS request ids of mutating calls for the audit trail.
 * Spot prices are requested for the Linux/UNIX product only.
 */
import {
  type _InstanceType,
  AssociateAddressCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  type EC2ClientConfig,
  GetSpotPlacementScoresCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CodedError } from "../../core/errors.js";
import type {
  Ec2Address,
  Ec2Image,
  Ec2Instance,
  Ec2InstanceState,
  Ec2Port,
  Ec2Volume,
  LaunchAttributes,
  RunInstancesInput,
} from "../../core/ports/ec2.js";
import type { EpochMs, InstanceTypeInfo, PriceRecord } from "../../core/types.js";
import {
  assignPrivateIps,
  describeInstanceTypeOfferings,
  describeLaunchAttributes,
  describeVolumes,
  modifyInstanceAttribute,
  runInstancesRequest,
} from "./ec2-launch.js";
import {
  imageState,
  LIVE_STATES,
  tagFilters,
  tagList,
  tagSpecs,
  tagsOf,
  toEc2Instance,
  toInstanceTypeInfo,
} from "./ec2-map.js";
import { attachVolume, detachVolume, startInstances, stopInstances } from "./ec2-volumes.js";
import { callAws } from "./errors.js";
import { awsRequestHandler, type HttpTimeouts } from "./http.js";

export { toEc2Instance, toInstanceTypeInfo } from "./ec2-map.js";

export const LINUX_PRODUCT = "Linux/UNIX";

export interface Ec2ClientOptions {
  region: string;
  /** Default: the SDK's default credential chain. */
  credentials?: EC2ClientConfig["credentials"];
  /** Default: none, so the SDK applies AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL itself. */
  endpoint?: string;
  maxAttempts?: number;
  /** Request and connection timeouts (30 s and 5 s by default). */
  timeouts?: HttpTimeouts;
}

/** An EC2Client with adaptive retries (client-side rate limiting on throttles) and bounded requests. */
export function createEc2Client(options: Ec2ClientOptions): EC2Client {
  const config: EC2ClientConfig = {
    region: options.region,
    retryMode: "adaptive",
    maxAttempts: options.maxAttempts ?? 5,
    requestHandler: awsRequestHandler(options.timeouts),
  };
  if (options.credentials) config.credentials = options.credentials;
  if (options.endpoint) config.endpoint = options.endpoint;
  return new EC2Client(config);
}

export class SdkEc2Port implements Ec2Port {
  private azNames: Promise<Map<string, string>> | null = null;

  constructor(
    private readonly client: EC2Client,
    readonly accountId: string,
    readonly region: string,
  ) {}

  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callAws("ec2", this, operation, run);
  }

  async describeSpotPriceHistory(input: {
    startTime: EpochMs;
    endTime?: EpochMs;
    instanceTypes?: string[];
    nextToken?: string;
    maxResults?: number;
  }): Promise<{ records: PriceRecord[]; nextToken?: string; requestId?: string }> {
    const out = await this.call("DescribeSpotPriceHistory", () =>
      this.client.send(
        new DescribeSpotPriceHistoryCommand({
          StartTime: new Date(input.startTime),
          EndTime: input.endTime === undefined ? undefined : new Date(input.endTime),
          InstanceTypes: input.instanceTypes as _InstanceType[] | undefined,
          ProductDescriptions: [LINUX_PRODUCT],
          NextToken: input.nextToken,
          MaxResults: input.maxResults,
        }),
      ),
    );
    const records: PriceRecord[] = [];
    for (const p of out.SpotPriceHistory ?? []) {
      if (p.ProductDescription !== undefined && p.ProductDescription !== LINUX_PRODUCT) continue;
      records.push({
        region: this.region,
        az: p.AvailabilityZone ?? "",
        instanceType: p.InstanceType ?? "",
        ts: p.Timestamp ? p.Timestamp.getTime() : Number.NaN,
        price: p.SpotPrice === undefined ? Number.NaN : Number(p.SpotPrice),
      });
    }
    return { records, nextToken: out.NextToken || undefined, requestId: out.$metadata.requestId };
  }

  async describeInstanceTypes(input: {
    instanceTypes?: string[];
    nextToken?: string;
  }): Promise<{ types: InstanceTypeInfo[]; nextToken?: string }> {
    const out = await this.call("DescribeInstanceTypes", () =>
      this.client.send(
        new DescribeInstanceTypesCommand({
          InstanceTypes: input.instanceTypes as _InstanceType[] | undefined,
          NextToken: input.nextToken,
          MaxResults: input.instanceTypes ? undefined : 100,
        }),
      ),
    );
    return { types: (out.InstanceTypes ?? []).map(toInstanceTypeInfo), nextToken: out.NextToken || undefined };
  }

  /** AZ id → AZ name of this account (AZ names map to physical zones per account), fetched once. */
  private azNameMap(): Promise<Map<string, string>> {
    this.azNames ??= this.call("DescribeAvailabilityZones", async () => {
      const out = await this.client.send(new DescribeAvailabilityZonesCommand({}));
      const m = new Map<string, string>();
      for (const z of out.AvailabilityZones ?? []) if (z.ZoneId && z.ZoneName) m.set(z.ZoneId, z.ZoneName);
      return m;
    }).catch((e) => {
      this.azNames = null;
      throw e;
    });
    return this.azNames;
  }

  async getSpotPlacementScores(input: {
    instanceTypes: string[];
    targetCapacity: number;
    singleAvailabilityZone: boolean;
  }): Promise<Array<{ region: string; azId?: string; az?: string; score: number }>> {
    const scores: Array<{ region: string; azId?: string; az?: string; score: number }> = [];
    let nextToken: string | undefined;
    do {
      const out = await this.call("GetSpotPlacementScores", () =>
        this.client.send(
          new GetSpotPlacementScoresCommand({
            InstanceTypes: input.instanceTypes,
            TargetCapacity: input.targetCapacity,
            SingleAvailabilityZone: input.singleAvailabilityZone,
            RegionNames: [this.region],
            NextToken: nextToken,
          }),
        ),
      );
      for (const s of out.SpotPlacementScores ?? []) {
        if (s.Score === undefined) continue;
        scores.push({ region: s.Region ?? this.region, azId: s.AvailabilityZoneId, score: s.Score });
      }
      nextToken = out.NextToken || undefined;
    } while (nextToken);
    if (scores.some((s) => s.azId)) {
      const names = await this.azNameMap();
      for (const s of scores) if (s.azId) s.az = names.get(s.azId);
    }
    return scores;
  }

  async describeInstances(input: {
    tagFilters?: Record<string, string>;
    instanceIds?: string[];
  }): Promise<Ec2Instance[]> {
    const out: Ec2Instance[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call("DescribeInstances", () =>
        this.client.send(
          new DescribeInstancesCommand({
            InstanceIds: input.instanceIds,
            Filters: [...tagFilters(input.tagFilters), { Name: "instance-state-name", Values: LIVE_STATES }],
            NextToken: nextToken,
          }),
        ),
      );
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) out.push(toEc2Instance(i));
      nextToken = page.NextToken || undefined;
    } while (nextToken);
    return out;
  }

  async describeInstanceStatus(input: {
    instanceIds: string[];
  }): Promise<Array<{ instanceId: string; state: Ec2InstanceState; systemOk: boolean; instanceOk: boolean }>> {
    const out = await this.call("DescribeInstanceStatus", () =>
      this.client.send(
        new DescribeInstanceStatusCommand({ InstanceIds: input.instanceIds, IncludeAllInstances: true }),
      ),
    );
    return (out.InstanceStatuses ?? []).map((s) => ({
      instanceId: s.InstanceId ?? "",
      state: (s.InstanceState?.Name ?? "pending") as Ec2InstanceState,
      systemOk: s.SystemStatus?.Status === "ok",
      instanceOk: s.InstanceStatus?.Status === "ok",
    }));
  }

  /** User data comes base64-encoded from DescribeInstanceAttribute; an absent or empty value means none. */
  async getUserData(input: { instanceId: string }): Promise<{ userData?: string; requestId?: string }> {
    const out = await this.call("DescribeInstanceAttribute", () =>
      this.client.send(new DescribeInstanceAttributeCommand({ InstanceId: input.instanceId, Attribute: "userData" })),
    );
    const encoded = out.UserData?.Value;
    return {
      userData: encoded ? Buffer.from(encoded, "base64").toString("utf8") : undefined,
      requestId: out.$metadata.requestId,
    };
  }

  /** CreateImage has no client token in the EC2 API: the image name (unique per account) is the guard. */
  async createImage(input: {
    instanceId: string;
    name: string;
    noReboot: boolean;
    tags: Record<string, string>;
    clientToken?: string;
    noDevices?: string[];
  }): Promise<{ imageId: string; requestId?: string }> {
    const out = await this.call("CreateImage", () =>
      this.client.send(
        new CreateImageCommand({
          InstanceId: input.instanceId,
          Name: input.name,
          NoReboot: input.noReboot,
          TagSpecifications: tagSpecs(input.tags, "image", "snapshot"),
          BlockDeviceMappings: input.noDevices?.length
            ? input.noDevices.map((DeviceName) => ({ DeviceName, NoDevice: "" }))
            : undefined,
        }),
      ),
    );
    if (!out.ImageId)
      throw new CodedError("aws_error", `ec2:CreateImage in ${this.accountId}/${this.region}: no ImageId`);
    return { imageId: out.ImageId, requestId: out.$metadata.requestId };
  }

  async describeImages(input: { imageIds?: string[]; tagFilters?: Record<string, string> }): Promise<Ec2Image[]> {
    const filters = tagFilters(input.tagFilters);
    const out = await this.call("DescribeImages", () =>
      this.client.send(
        new DescribeImagesCommand({
          ImageIds: input.imageIds,
          Owners: input.imageIds ? undefined : ["self"],
          Filters: filters.length ? filters : undefined,
        }),
      ),
    );
    return (out.Images ?? []).map((i) => ({
      imageId: i.ImageId ?? "",
      state: imageState(i.State),
      snapshotIds: (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.SnapshotId ?? "").filter(Boolean),
      createdAt: i.CreationDate ? Date.parse(i.CreationDate) : undefined,
      tags: tagsOf(i.Tags),
    }));
  }

  async deregisterImage(input: { imageId: string }): Promise<{ requestId?: string }> {
    const out = await this.call("DeregisterImage", () =>
      this.client.send(new DeregisterImageCommand({ ImageId: input.imageId })),
    );
    return { requestId: out.$metadata.requestId };
  }

  async deleteSnapshot(input: { snapshotId: string }): Promise<{ requestId?: string }> {
    const out = await this.call("DeleteSnapshot", () =>
      this.client.send(new DeleteSnapshotCommand({ SnapshotId: input.snapshotId })),
    );
    return { requestId: out.$metadata.requestId };
  }

  /** `userData` is plain text; it is base64-encoded here as RunInstances requires. */
  async runInstances(input: RunInstancesInput): Promise<{ instanceId: string; requestId?: string }> {
    const out = await this.call("RunInstances", () =>
      this.client.send(new RunInstancesCommand(runInstancesRequest(input))),
    );
    const id = out.Instances?.[0]?.InstanceId;
    if (!id) throw new CodedError("aws_error", `ec2:RunInstances in ${this.accountId}/${this.region}: no instance id`);
    return { instanceId: id, requestId: out.$metadata.requestId };
  }

  async terminateInstances(input: { instanceIds: string[] }): Promise<{ requestId?: string }> {
    const out = await this.call("TerminateInstances", () =>
      this.client.send(new TerminateInstancesCommand({ InstanceIds: input.instanceIds })),
    );
    return { requestId: out.$metadata.requestId };
  }

  async describeAddresses(input: { instanceId?: string; allocationIds?: string[] }): Promise<Ec2Address[]> {
    const out = await this.call("DescribeAddresses", () =>
      this.client.send(
        new DescribeAddressesCommand({
          AllocationIds: input.allocationIds,
          Filters: input.instanceId ? [{ Name: "instance-id", Values: [input.instanceId] }] : undefined,
        }),
      ),
    );
    return (out.Addresses ?? []).map((a) => ({
      allocationId: a.AllocationId ?? "",
      publicIp: a.PublicIp ?? "",
      instanceId: a.InstanceId,
      associationId: a.AssociationId,
      privateIp: a.PrivateIpAddress,
    }));
  }

  async associateAddress(input: {
    allocationId: string;
    instanceId: string;
    allowReassociation: boolean;
    privateIp?: string;
  }): Promise<{ associationId: string; requestId?: string }> {
    const out = await this.call("AssociateAddress", () =>
      this.client.send(
        new AssociateAddressCommand({
          AllocationId: input.allocationId,
          InstanceId: input.instanceId,
          PrivateIpAddress: input.privateIp,
          AllowReassociation: input.allowReassociation,
        }),
      ),
    );
    return { associationId: out.AssociationId ?? "", requestId: out.$metadata.requestId };
  }

  describeInstanceTypeOfferings(input: { az: string; instanceTypes: string[] }): Promise<string[]> {
    return describeInstanceTypeOfferings(this.client, (o, r) => this.call(o, r), input);
  }

  describeLaunchAttributes(input: {
    instanceId: string;
    burstable: boolean;
    stop?: boolean;
  }): Promise<LaunchAttributes> {
    return describeLaunchAttributes(this.client, (o, r) => this.call(o, r), input);
  }

  assignPrivateIps(input: { instanceId: string; privateIps: string[] }): Promise<{ requestId?: string }> {
    return assignPrivateIps(this.client, (o, r) => this.call(o, r), input);
  }

  describeVolumes(input: { volumeIds: string[] }): Promise<Ec2Volume[]> {
    return describeVolumes(this.client, (o, r) => this.call(o, r), input.volumeIds);
  }

  stopInstances(input: { instanceIds: string[] }): Promise<{ requestId?: string }> {
    return stopInstances(this.client, (o, r) => this.call(o, r), input);
  }

  startInstances(input: { instanceIds: string[] }): Promise<{ requestId?: string }> {
    return startInstances(this.client, (o, r) => this.call(o, r), input);
  }

  detachVolume(input: { volumeId: string; instanceId: string; deviceName: string }): Promise<{ requestId?: string }> {
    return detachVolume(this.client, (o, r) => this.call(o, r), input);
  }

  attachVolume(input: { volumeId: string; instanceId: string; deviceName: string }): Promise<{ requestId?: string }> {
    return attachVolume(this.client, (o, r) => this.call(o, r), input);
  }

  modifyInstanceAttribute(input: {
    instanceId: string;
    disableApiTermination?: boolean;
    sourceDestCheck?: boolean;
  }): Promise<{ requestId?: string }> {
    return modifyInstanceAttribute(this.client, (o, r) => this.call(o, r), input);
  }

  async createTags(input: { resourceIds: string[]; tags: Record<string, string> }): Promise<{ requestId?: string }> {
    const out = await this.call("CreateTags", () =>
      this.client.send(new CreateTagsCommand({ Resources: input.resourceIds, Tags: tagList(input.tags) })),
    );
    return { requestId: out.$metadata.requestId };
  }
}

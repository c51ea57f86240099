import type { EpochMs, InstanceTypeInfo, PriceRecord } from "../types.js";

/**
 * The narrow EC2 interface: only the calls spotwise makes (karpenter's EC2API pattern).
 * One port is bound to one account and one region; `Ec2Factory` hands them out.
 * Every mutating call returns the AWS request id for the audit trail.
 * Errors are CodedErrors: aws_throttled, aws_capacity (InsufficientInstanceCapacity),
 * aws_access_denied, not_found, aws_error.
 */
export interface Ec2Port {
  readonly accountId: string;
  readonly region: string;

  describeSpotPriceHistory(input: {
    startTime: EpochMs;
    endTime?: EpochMs;
    instanceTypes?: string[];
    nextToken?: string;
    maxResults?: number;
  }): Promise<{ records: PriceRecord[]; nextToken?: string; requestId?: string }>;

  describeInstanceTypes(input: { instanceTypes?: string[]; nextToken?: string }): Promise<{
    types: InstanceTypeInfo[];
    nextToken?: string;
  }>;

  getSpotPlacementScores(input: {
    instanceTypes: string[];
    targetCapacity: number;
    singleAvailabilityZone: boolean;
  }): Promise<Array<{ region: string; azId?: string; az?: string; score: number }>>;

  /** Instances matching all tag filters (key=value), any state but terminated. */
  describeInstances(input: { tagFilters?: Record<string, string>; instanceIds?: string[] }): Promise<Ec2Instance[]>;

  describeInstanceStatus(input: {
    instanceIds: string[];
  }): Promise<Array<{ instanceId: string; state: Ec2InstanceState; systemOk: boolean; instanceOk: boolean }>>;

  /**
   * The instance's user data as plain text (DescribeInstanceAttribute userData, base64-decoded);
   * `userData` is undefined when the instance has none. DescribeInstances does not return it.
   */
  getUserData(input: { instanceId: string }): Promise<{ userData?: string; requestId?: string }>;

  createImage(input: {
    instanceId: string;
    name: string;
    noReboot: boolean;
    tags: Record<string, string>;
    clientToken?: string;
  }): Promise<{ imageId: string; requestId?: string }>;

  describeImages(input: { imageIds?: string[]; tagFilters?: Record<string, string> }): Promise<Ec2Image[]>;

  deregisterImage(input: { imageId: string }): Promise<{ requestId?: string }>;
  deleteSnapshot(input: { snapshotId: string }): Promise<{ requestId?: string }>;

  runInstances(input: RunInstancesInput): Promise<{ instanceId: string; requestId?: string }>;
  terminateInstances(input: { instanceIds: string[] }): Promise<{ requestId?: string }>;

  describeAddresses(input: { instanceId?: string; allocationIds?: string[] }): Promise<Ec2Address[]>;
  associateAddress(input: {
    allocationId: string;
    instanceId: string;
    allowReassociation: boolean;
  }): Promise<{ associationId: string; requestId?: string }>;

  createTags(input: { resourceIds: string[]; tags: Record<string, string> }): Promise<{ requestId?: string }>;
}

export type Ec2InstanceState = "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated";

export interface Ec2Instance {
  instanceId: string;
  instanceType: string;
  az: string;
  state: Ec2InstanceState;
  lifecycle: "spot" | "on-demand";
  subnetId?: string;
  securityGroupIds: string[];
  iamInstanceProfileArn?: string;
  keyName?: string;
  imageId?: string;
  launchTime?: EpochMs;
  tags: Record<string, string>;
  privateIp?: string;
}

export interface Ec2Image {
  imageId: string;
  state: "pending" | "available" | "failed" | "deregistered";
  snapshotIds: string[];
  createdAt?: EpochMs;
  tags: Record<string, string>;
}

export interface Ec2Address {
  allocationId: string;
  publicIp: string;
  instanceId?: string;
  associationId?: string;
}

export interface RunInstancesInput {
  imageId: string;
  instanceType: string;
  az: string;
  subnetId?: string;
  securityGroupIds: string[];
  iamInstanceProfileArn?: string;
  keyName?: string;
  userData?: string;
  tags: Record<string, string>;
  spot: boolean;
  /** Idempotency: the same token never launches twice (spotwise uses the saga id). */
  clientToken: string;
}

export interface Ec2Factory {
  forAccount(accountId: string, region: string, sessionName?: string): Promise<Ec2Port>;
}

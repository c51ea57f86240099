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
    /** Devices left out of the image (data volumes that are moved, not copied). */
    noDevices?: string[];
  }): Promise<{ imageId: string; requestId?: string }>;

  describeImages(input: { imageIds?: string[]; tagFilters?: Record<string, string> }): Promise<Ec2Image[]>;

  /** Which of `instanceTypes` are offered in `az` (DescribeInstanceTypeOfferings, location type availability-zone). */
  describeInstanceTypeOfferings(input: { az: string; instanceTypes: string[] }): Promise<string[]>;

  /**
   * Launch-time attributes DescribeInstances does not carry (DescribeInstanceAttribute disableApiTermination and
   * instanceInitiatedShutdownBehavior; DescribeInstanceCreditSpecifications for burstable types).
   */
  describeLaunchAttributes(input: {
    instanceId: string;
    burstable: boolean;
    /** Also read stop protection (DescribeInstanceAttribute disableApiStop): the instance is to be stopped. */
    stop?: boolean;
  }): Promise<LaunchAttributes>;

  /**
   * Moves secondary private IPs onto the instance's primary network interface (AssignPrivateIpAddresses with
   * AllowReassignment: an address held by another interface in the subnet moves here).
   */
  assignPrivateIps(input: { instanceId: string; privateIps: string[] }): Promise<{ requestId?: string }>;

  /** Volumes by id, with their tags and attachments (DescribeVolumes). */
  describeVolumes(input: { volumeIds: string[] }): Promise<Ec2Volume[]>;

  /** StopInstances (not forced): the OS shuts down cleanly, so writes to data volumes stop. */
  stopInstances(input: { instanceIds: string[] }): Promise<{ requestId?: string }>;
  startInstances(input: { instanceIds: string[] }): Promise<{ requestId?: string }>;
  /** DetachVolume from `instanceId` (not forced); the volume becomes `available` when it is done. */
  detachVolume(input: { volumeId: string; instanceId: string; deviceName: string }): Promise<{ requestId?: string }>;
  /** AttachVolume at `deviceName`; same AZ only (InvalidVolume.ZoneMismatch otherwise). */
  attachVolume(input: { volumeId: string; instanceId: string; deviceName: string }): Promise<{ requestId?: string }>;

  /** ModifyInstanceAttribute: one attribute per call, as the API requires. */
  modifyInstanceAttribute(input: {
    instanceId: string;
    disableApiTermination?: boolean;
    sourceDestCheck?: boolean;
  }): Promise<{ requestId?: string }>;

  deregisterImage(input: { imageId: string }): Promise<{ requestId?: string }>;
  deleteSnapshot(input: { snapshotId: string }): Promise<{ requestId?: string }>;

  runInstances(input: RunInstancesInput): Promise<{ instanceId: string; requestId?: string }>;
  terminateInstances(input: { instanceIds: string[] }): Promise<{ requestId?: string }>;

  describeAddresses(input: { instanceId?: string; allocationIds?: string[] }): Promise<Ec2Address[]>;
  /** With `privateIp`, the address goes to that private IP of the instance's primary network interface. */
  associateAddress(input: {
    allocationId: string;
    instanceId: string;
    allowReassociation: boolean;
    privateIp?: string;
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
  /** Launch-time identity (DescribeInstances); absent fields are unknown, not false. */
  architecture?: string;
  virtualizationType?: string;
  ebsOptimized?: boolean;
  monitoring?: boolean;
  sourceDestCheck?: boolean;
  placement?: { groupName?: string; tenancy?: string; partitionNumber?: number };
  cpuOptions?: { coreCount?: number; threadsPerCore?: number };
  hibernation?: boolean;
  metadataOptions?: MetadataOptions;
  /** Private IPs of the primary network interface (the primary first). */
  privateIps?: Array<{ privateIp: string; primary: boolean }>;
  networkInterfaceCount?: number;
  rootDeviceName?: string;
  blockDevices?: Array<{ deviceName: string; volumeId: string; deleteOnTermination: boolean }>;
}

export interface MetadataOptions {
  httpTokens?: "optional" | "required";
  httpPutResponseHopLimit?: number;
  httpEndpoint?: "enabled" | "disabled";
  instanceMetadataTags?: "enabled" | "disabled";
}

export interface Ec2Volume {
  volumeId: string;
  /** creating | available | in-use | deleting | deleted | error */
  state: string;
  az?: string;
  tags: Record<string, string>;
  /** state: attaching | attached | detaching | detached */
  attachments: Array<{ instanceId: string; deviceName: string; state: string }>;
}

export interface LaunchAttributes {
  disableApiTermination: boolean;
  /** Stop protection; read only when asked (`stop`). */
  disableApiStop?: boolean;
  shutdownBehavior?: "stop" | "terminate";
  /** Burstable types only: "standard" or "unlimited". */
  creditSpecification?: string;
  requestId?: string;
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
  /** The private IP the address is associated with. */
  privateIp?: string;
}

/** Launch-time properties of an instance that a replacement can be launched with (read from the old one). */
export interface LaunchProperties {
  metadataOptions?: MetadataOptions;
  ebsOptimized?: boolean;
  monitoring?: boolean;
  placement?: { groupName?: string; tenancy?: string; partitionNumber?: number };
  cpuOptions?: { coreCount?: number; threadsPerCore?: number };
  creditSpecification?: string;
  hibernation?: boolean;
  shutdownBehavior?: "stop" | "terminate";
  disableApiTermination?: boolean;
}

export interface RunInstancesInput extends LaunchProperties {
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
  /** Primary private IP to launch with (must be free in the subnet). */
  privateIp?: string;
  /** Device names of the image not to create (data volumes that are moved, not copied). */
  noDevices?: string[];
}

export interface Ec2Factory {
  forAccount(accountId: string, region: string, sessionName?: string): Promise<Ec2Port>;
}

/** The simulated cloud behind the Ec2Port: one port per account and region, errors shaped like the SDK's. */
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
import { type PriceRecord, poolId } from "../../core/types.js";
import { mapAwsError } from "../aws/errors.js";
import { assignPrivateIps, associate } from "./addresses.js";
import type { SimCloud, SimInstance, SimOperation } from "./cloud.js";
import {
  awsError,
  createLaunchVolumes,
  launchAttributes,
  launchedIdentity,
  offered,
  type SimVolume,
  simTypeInfo,
  validateLaunch,
  volumeView,
} from "./identity.js";
import { copyTwoLevels, FAULT_ERRORS, faultError, placementScores, spotPriceHistory } from "./reads.js";
import { attachVolume, detachVolume, startInstance, stopInstance } from "./volumes.js";

export { faultError };

export class SimEc2Port implements Ec2Port {
  constructor(
    readonly cloud: SimCloud,
    readonly accountId: string,
    readonly region: string,
  ) {}

  private requestId(): string {
    return this.cloud.id("req");
  }

  /** Records the call, throws an injected fault, runs `fn`, then honours an armed crash. */
  private async op<T>(op: SimOperation, input: unknown, fn: () => T): Promise<T> {
    await this.cloud.before(op);
    const fault = this.cloud.enter(op, this.accountId, input);
    await Promise.resolve();
    const where = `ec2:${op} in ${this.accountId}/${this.region}`;
    if (fault && fault !== "lost") throw mapAwsError(faultError(fault, this.requestId()), where);
    let value: T;
    try {
      value = fn();
    } catch (e) {
      throw mapAwsError(e, where);
    }
    if (fault === "lost") throw mapAwsError(faultError(fault, this.requestId()), where);
    return this.cloud.leave(op, value);
  }

  private notFound(code: string, what: string): never {
    const err = Object.assign(new Error(`${what} does not exist`), { name: code });
    throw mapAwsError(err, `ec2 in ${this.accountId}/${this.region}`);
  }

  private mine<T extends { accountId: string; region: string }>(x: T | undefined): x is T {
    return !!x && x.accountId === this.accountId && x.region === this.region;
  }

  /** What DescribeInstances answers of `i`: a copy (the caller may change it), without the simulator's own fields. */
  private view(i: SimInstance): Ec2Instance & { userData?: string } {
    const { accountId: _a, region: _r, clientToken: _c, launchedAt: _l, terminatedAt: _t, appHealthy: _h, ...rest } = i;
    return { ...copyTwoLevels(rest), state: this.cloud.stateOf(i) };
  }

  async describeSpotPriceHistory(input: {
    startTime: number;
    endTime?: number;
    instanceTypes?: string[];
    nextToken?: string;
    maxResults?: number;
  }): Promise<{ records: PriceRecord[]; nextToken?: string; requestId?: string }> {
    return this.op("describeSpotPriceHistory", input, () => ({
      ...spotPriceHistory(this.cloud, this.region, input),
      requestId: this.requestId(),
    }));
  }

  async describeInstanceTypes(input: { instanceTypes?: string[]; nextToken?: string }) {
    return this.op("describeInstanceTypes", input, () => {
      if (!input.instanceTypes?.length) return { types: [...this.cloud.instanceTypes] };
      // asking for named types: every one must exist, as EC2 answers
      const types = input.instanceTypes.map((t) => {
        const info = simTypeInfo(this.cloud, t);
        if (!info) throw awsError("InvalidInstanceType", `The following supplied instance types do not exist: [${t}]`);
        return info;
      });
      return { types };
    });
  }

  async getSpotPlacementScores(input: {
    instanceTypes: string[];
    targetCapacity: number;
    singleAvailabilityZone: boolean;
  }) {
    return this.op("getSpotPlacementScores", input, () => placementScores(this.cloud, this.region, input));
  }

  async describeInstances(input: { tagFilters?: Record<string, string>; instanceIds?: string[] }) {
    return this.op("describeInstances", input, () => {
      if (input.instanceIds) {
        for (const id of input.instanceIds) {
          if (!this.mine(this.cloud.instances.get(id))) this.notFound("InvalidInstanceID.NotFound", `instance ${id}`);
        }
      }
      // asked by id: those instances (each once), not a scan of the whole cloud; terminated instances are left
      // out before the copy (listed only when asked for by id)
      const from = input.instanceIds
        ? [...new Set(input.instanceIds)].map((id) => this.cloud.instances.get(id) as SimInstance)
        : [...this.cloud.instances.values()].filter((i) => this.mine(i));
      const filters = Object.entries(input.tagFilters ?? {});
      return from
        .filter((i) => filters.every(([k, v]) => i.tags[k] === v))
        .filter((i) => !!input.instanceIds || this.cloud.stateOf(i) !== "terminated")
        .map((i) => this.view(i));
    });
  }

  async describeInstanceStatus(input: { instanceIds: string[] }) {
    return this.op("describeInstanceStatus", input, () =>
      input.instanceIds.flatMap((id) => {
        const i = this.cloud.instances.get(id);
        if (!this.mine(i)) return [];
        const state: Ec2InstanceState = this.cloud.stateOf(i);
        const ok = this.cloud.statusOk(i);
        return [{ instanceId: id, state, systemOk: ok, instanceOk: ok }];
      }),
    );
  }

  async getUserData(input: { instanceId: string }): Promise<{ userData?: string; requestId?: string }> {
    return this.op("getUserData", input, () => {
      const i = this.cloud.instances.get(input.instanceId);
      if (!this.mine(i)) this.notFound("InvalidInstanceID.NotFound", `instance ${input.instanceId}`);
      return { userData: i.userData || undefined, requestId: this.requestId() };
    });
  }

  async createImage(input: {
    instanceId: string;
    name: string;
    noReboot: boolean;
    tags: Record<string, string>;
    clientToken?: string;
    noDevices?: string[];
  }) {
    return this.op("createImage", input, () => {
      const src = this.cloud.instances.get(input.instanceId);
      if (!this.mine(src) || this.cloud.stateOf(src) === "terminated") {
        this.notFound("InvalidInstanceID.NotFound", `instance ${input.instanceId}`);
      }
      const same = [...this.cloud.images.values()].find(
        (i) => input.clientToken && i.clientToken === input.clientToken,
      );
      if (same) return { imageId: same.imageId, requestId: this.requestId() };
      const imageId = this.cloud.id("ami");
      this.cloud.images.set(imageId, {
        imageId,
        state: "pending",
        snapshotIds: [this.cloud.id("snap")],
        createdAt: this.cloud.clock.now(),
        tags: { ...input.tags },
        accountId: this.accountId,
        region: this.region,
        sourceInstanceId: input.instanceId,
        clientToken: input.clientToken,
        availableAt: this.cloud.clock.now() + this.cloud.latencies.imageMs,
        architecture: src.architecture,
        rootDeviceName: src.rootDeviceName,
        devices: (src.blockDevices ?? [])
          .filter((b) => !(input.noDevices ?? []).includes(b.deviceName))
          .map((b) => ({ deviceName: b.deviceName, deleteOnTermination: b.deleteOnTermination })),
      });
      return { imageId, requestId: this.requestId() };
    });
  }

  async describeImages(input: { imageIds?: string[]; tagFilters?: Record<string, string> }): Promise<Ec2Image[]> {
    return this.op("describeImages", input, () =>
      [...this.cloud.images.values()]
        .filter((i) => this.mine(i))
        .filter((i) => !input.imageIds || input.imageIds.includes(i.imageId))
        .filter((i) => Object.entries(input.tagFilters ?? {}).every(([k, v]) => i.tags[k] === v))
        .map((i) => ({
          imageId: i.imageId,
          state: this.cloud.imageState(i),
          snapshotIds: [...i.snapshotIds],
          createdAt: i.createdAt,
          tags: { ...i.tags },
        })),
    );
  }

  async deregisterImage(input: { imageId: string }) {
    return this.op("deregisterImage", input, () => {
      const img = this.cloud.images.get(input.imageId);
      if (!this.mine(img)) this.notFound("InvalidAMIID.NotFound", `image ${input.imageId}`);
      img.state = "deregistered";
      return { requestId: this.requestId() };
    });
  }

  async deleteSnapshot(input: { snapshotId: string }) {
    return this.op("deleteSnapshot", input, () => {
      for (const img of this.cloud.images.values()) {
        img.snapshotIds = img.snapshotIds.filter((s) => s !== input.snapshotId);
      }
      return { requestId: this.requestId() };
    });
  }

  async runInstances(input: RunInstancesInput) {
    return this.op("runInstances", input, () => {
      const same = [...this.cloud.instances.values()].find((i) => this.mine(i) && i.clientToken === input.clientToken);
      if (same) return { instanceId: same.instanceId, requestId: this.requestId() };
      const img = this.cloud.images.get(input.imageId);
      if (!this.mine(img) || this.cloud.imageState(img) !== "available") {
        this.notFound("InvalidAMIID.NotFound", `available image ${input.imageId}`);
      }
      validateLaunch(this.cloud, this.region, input, img);
      if (
        input.spot &&
        this.cloud.noCapacity.has(poolId({ region: this.region, az: input.az, instanceType: input.instanceType }))
      ) {
        const err = Object.assign(new Error(FAULT_ERRORS.capacity.message), { name: FAULT_ERRORS.capacity.name });
        throw mapAwsError(err, `ec2:RunInstances in ${this.accountId}/${this.region}`);
      }
      const inst = this.cloud.seedInstance({
        accountId: this.accountId,
        region: this.region,
        az: input.az,
        instanceType: input.instanceType,
        lifecycle: input.spot ? "spot" : "on-demand",
        subnetId: input.subnetId,
        securityGroupIds: [...input.securityGroupIds],
        iamInstanceProfileArn: input.iamInstanceProfileArn,
        keyName: input.keyName,
        userData: input.userData,
        imageId: input.imageId,
        tags: { ...input.tags },
        clientToken: input.clientToken,
        launchedAt: this.cloud.clock.now(),
        appHealthy: !this.cloud.newInstancesUnhealthy,
        ...(input.privateIp ? { privateIp: input.privateIp } : {}),
        ...launchedIdentity(input, img),
        blockDevices: [],
      });
      createLaunchVolumes(this.cloud, inst, img, input);
      return { instanceId: inst.instanceId, requestId: this.requestId() };
    });
  }

  async terminateInstances(input: { instanceIds: string[] }) {
    return this.op("terminateInstances", input, () => {
      // AWS checks every id first: one protected or unknown instance fails the whole call, nothing terminates
      const found = input.instanceIds.map((id) => {
        const i = this.cloud.instances.get(id);
        if (!this.mine(i)) this.notFound("InvalidInstanceID.NotFound", `instance ${id}`);
        if (i.disableApiTermination && i.terminatedAt === undefined) {
          throw awsError(
            "OperationNotPermitted",
            `The instance '${id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
          );
        }
        return i;
      });
      for (const i of found) {
        // terminating a terminated instance succeeds (AWS answers with its current state)
        if (i.terminatedAt === undefined) i.terminatedAt = this.cloud.clock.now();
        this.cloud.detachFrom(i.instanceId);
      }
      return { requestId: this.requestId() };
    });
  }

  async describeAddresses(input: { instanceId?: string; allocationIds?: string[] }): Promise<Ec2Address[]> {
    return this.op("describeAddresses", input, () =>
      [...this.cloud.addresses.values()]
        .filter((a) => this.mine(a))
        .filter((a) => !input.instanceId || a.instanceId === input.instanceId)
        .filter((a) => !input.allocationIds || input.allocationIds.includes(a.allocationId))
        .map(({ accountId: _a, region: _r, ...rest }) => ({ ...rest })),
    );
  }

  async associateAddress(input: {
    allocationId: string;
    instanceId: string;
    allowReassociation: boolean;
    privateIp?: string;
  }) {
    return this.op("associateAddress", input, () => {
      const a = this.cloud.addresses.get(input.allocationId);
      if (!this.mine(a)) this.notFound("InvalidAllocationID.NotFound", `address ${input.allocationId}`);
      const target = this.cloud.instances.get(input.instanceId);
      if (!this.mine(target)) this.notFound("InvalidInstanceID.NotFound", `instance ${input.instanceId}`);
      return { associationId: associate(this.cloud, a, target, input), requestId: this.requestId() };
    });
  }

  async describeInstanceTypeOfferings(input: { az: string; instanceTypes: string[] }): Promise<string[]> {
    return this.op("describeInstanceTypeOfferings", input, () =>
      input.instanceTypes.filter((t) => offered(this.cloud, this.region, input.az, t)),
    );
  }

  async describeLaunchAttributes(input: {
    instanceId: string;
    burstable: boolean;
    stop?: boolean;
  }): Promise<LaunchAttributes> {
    return this.op("describeLaunchAttributes", input, () => {
      const i = this.cloud.instances.get(input.instanceId);
      if (!this.mine(i)) this.notFound("InvalidInstanceID.NotFound", `instance ${input.instanceId}`);
      const stop = input.stop ? { disableApiStop: i.disableApiStop === true } : {};
      return { ...launchAttributes(i, input.burstable), ...stop, requestId: this.requestId() };
    });
  }

  async assignPrivateIps(input: { instanceId: string; privateIps: string[] }) {
    return this.op("assignPrivateIps", input, () => {
      const target = this.cloud.instances.get(input.instanceId);
      if (!this.mine(target)) this.notFound("InvalidInstanceID.NotFound", `instance ${input.instanceId}`);
      assignPrivateIps(this.cloud, target, input.privateIps);
      return { requestId: this.requestId() };
    });
  }

  async describeVolumes(input: { volumeIds: string[] }): Promise<Ec2Volume[]> {
    return this.op("describeVolumes", input, () =>
      input.volumeIds.map((id) => volumeView(this.cloud, this.volumeOf(id))),
    );
  }

  private instanceOf(id: string): SimInstance {
    const i = this.cloud.instances.get(id);
    if (!this.mine(i)) this.notFound("InvalidInstanceID.NotFound", `instance ${id}`);
    return i;
  }

  private volumeOf(id: string): SimVolume {
    const v = this.cloud.volumes.get(id);
    if (!this.mine(v) || v.deleted) this.notFound("InvalidVolume.NotFound", `volume ${id}`);
    return v;
  }

  async stopInstances(input: { instanceIds: string[] }) {
    return this.op("stopInstances", input, () => {
      const found = input.instanceIds.map((id) => this.instanceOf(id));
      for (const i of found) stopInstance(this.cloud, i);
      return { requestId: this.requestId() };
    });
  }

  async startInstances(input: { instanceIds: string[] }) {
    return this.op("startInstances", input, () => {
      for (const i of input.instanceIds.map((id) => this.instanceOf(id))) startInstance(this.cloud, i);
      return { requestId: this.requestId() };
    });
  }

  async detachVolume(input: { volumeId: string; instanceId: string; deviceName: string }) {
    return this.op("detachVolume", input, () => {
      detachVolume(this.cloud, this.volumeOf(input.volumeId), input, (id) => this.instanceOf(id));
      return { requestId: this.requestId() };
    });
  }

  async attachVolume(input: { volumeId: string; instanceId: string; deviceName: string }) {
    return this.op("attachVolume", input, () => {
      attachVolume(this.cloud, this.volumeOf(input.volumeId), input, (id) => this.instanceOf(id));
      return { requestId: this.requestId() };
    });
  }

  async modifyInstanceAttribute(input: {
    instanceId: string;
    disableApiTermination?: boolean;
    sourceDestCheck?: boolean;
  }) {
    return this.op("modifyInstanceAttribute", input, () => {
      const i = this.cloud.instances.get(input.instanceId);
      if (!this.mine(i)) this.notFound("InvalidInstanceID.NotFound", `instance ${input.instanceId}`);
      if (input.disableApiTermination === true && i.lifecycle === "spot") {
        throw awsError("UnsupportedOperation", "You can't enable termination protection for Spot Instances.");
      }
      if (input.disableApiTermination !== undefined) i.disableApiTermination = input.disableApiTermination;
      if (input.sourceDestCheck !== undefined) i.sourceDestCheck = input.sourceDestCheck;
      return { requestId: this.requestId() };
    });
  }

  async createTags(input: { resourceIds: string[]; tags: Record<string, string> }) {
    return this.op("createTags", input, () => {
      for (const id of input.resourceIds) {
        const target = this.cloud.instances.get(id) ?? this.cloud.images.get(id) ?? this.cloud.volumes.get(id);
        if (target) Object.assign(target.tags, input.tags);
      }
      return { requestId: this.requestId() };
    });
  }
}

/**
 * A stateful simulated cloud (karpenter's pkg/fake/ec2api.go is the model): instances, images, spot launches,
 * Elastic IPs, target groups, application health, per-step latencies on the injected Clock, capacity shortages
 * per pool, injectable faults (nextError per operation, a crash hook after an operation), a call log and reset().
 * Time-dependent state (pending → running → status ok, image pending → available) is derived from the clock.
 */
import type { Clock } from "../../core/ports/clock.js";
import type { Ec2Address, Ec2Image, Ec2Instance } from "../../core/ports/ec2.js";
import type { EpochMs, InstanceTypeInfo, PriceRecord } from "../../core/types.js";
import { loadSimCatalog, type SimVolume, simTypeInfo } from "./identity.js";
import { settleVolumes } from "./volumes.js";

export interface SimLatencies {
  imageMs: number;
  bootMs: number;
  statusChecksMs: number;
  healthyMs: number;
  terminateMs: number;
  /** StopInstances until stopped. */
  stopMs: number;
  /** AttachVolume until attached, DetachVolume until available. */
  volumeMs: number;
}

export const DEFAULT_LATENCIES: SimLatencies = {
  imageMs: 4 * 60_000,
  bootMs: 45_000,
  statusChecksMs: 2 * 60_000,
  healthyMs: 30_000,
  terminateMs: 30_000,
  stopMs: 40_000,
  volumeMs: 10_000,
};

export type SimOperation =
  | "describeSpotPriceHistory"
  | "describeInstanceTypes"
  | "getSpotPlacementScores"
  | "describeInstances"
  | "describeInstanceStatus"
  | "getUserData"
  | "createImage"
  | "describeImages"
  | "deregisterImage"
  | "deleteSnapshot"
  | "runInstances"
  | "terminateInstances"
  | "describeAddresses"
  | "associateAddress"
  | "createTags"
  | "describeInstanceTypeOfferings"
  | "describeLaunchAttributes"
  | "describeVolumes"
  | "assignPrivateIps"
  | "modifyInstanceAttribute"
  | "stopInstances"
  | "startInstances"
  | "detachVolume"
  | "attachVolume"
  | "targetGroupsOf"
  | "registerTarget"
  | "deregisterTarget"
  | "healthCheck";

/**
 * throttling: RequestLimitExceeded; capacity: InsufficientInstanceCapacity; timeout: the call never reached AWS;
 * denied: UnauthorizedOperation; server: InternalError (500); unavailable: Unavailable (503);
 * lost: the call took effect in the cloud but its response was lost (the client sees a timeout).
 */
export type SimFault = "throttling" | "capacity" | "timeout" | "denied" | "server" | "unavailable" | "lost";

export interface SimInstance extends Ec2Instance {
  accountId: string;
  region: string;
  userData?: string;
  clientToken?: string;
  launchedAt: EpochMs;
  terminatedAt?: EpochMs;
  /** StopInstances was called (stopping, then stopped after latencies.stopMs). */
  stoppedAt?: EpochMs;
  /** Application health: false makes the health check fail forever. */
  appHealthy: boolean;
  /** Termination protection (DisableApiTermination): TerminateInstances answers OperationNotPermitted. */
  disableApiTermination?: boolean;
  /** Stop protection (DisableApiStop): StopInstances answers OperationNotPermitted. */
  disableApiStop?: boolean;
  shutdownBehavior?: "stop" | "terminate";
  creditSpecification?: string;
}

export interface SimImage extends Ec2Image {
  accountId: string;
  region: string;
  sourceInstanceId: string;
  clientToken?: string;
  availableAt: EpochMs;
  architecture?: string;
  rootDeviceName?: string;
  /** The source instance's devices at image time (each becomes a volume of a launch). */
  devices?: Array<{ deviceName: string; deleteOnTermination: boolean }>;
}

export interface SimAddress extends Ec2Address {
  accountId: string;
  region: string;
}

export interface SimCall {
  op: SimOperation;
  at: EpochMs;
  accountId: string;
  input: unknown;
}

export interface SimCloudOptions {
  clock: Clock;
  latencies?: Partial<SimLatencies>;
  /** Recorded market data replayed by describeSpotPriceHistory (only points up to the clock's now). */
  prices?: PriceRecord[];
  instanceTypes?: InstanceTypeInfo[];
}

export class SimCloud {
  readonly clock: Clock;
  readonly latencies: SimLatencies;
  readonly instances = new Map<string, SimInstance>();
  readonly images = new Map<string, SimImage>();
  readonly addresses = new Map<string, SimAddress>();
  /** target group arn → registered instance ids */
  readonly targetGroups = new Map<string, Set<string>>();
  readonly calls: SimCall[] = [];
  /** The recorded market, sorted by time (DescribeSpotPriceHistory looks up its start by bisection). */
  prices: PriceRecord[];
  instanceTypes: InstanceTypeInfo[];

  readonly volumes = new Map<string, SimVolume>();
  /** Volumes detaching (detachVolume()), settled by settleVolumes() once the detach latency has passed. */
  readonly detaching = new Set<SimVolume>();
  /** Pools (region/az/type) whose type is not offered in that AZ (DescribeInstanceTypeOfferings, Unsupported). */
  readonly notOffered = new Set<string>();
  private bundledCatalog: Map<string, InstanceTypeInfo> | null = null;
  /** Pools (region/az/type) without spot capacity: RunInstances fails with InsufficientInstanceCapacity. */
  readonly noCapacity = new Set<string>();
  /** Operation → faults to throw on its next calls, in order. */
  readonly nextErrors = new Map<SimOperation, SimFault[]>();
  private readonly failWhen = new Map<SimOperation, () => boolean>();
  /** Things that never finish, so deadlines are reached. */
  readonly stalls = { images: false, statusChecks: false, health: false };
  /** New (launched) instances start unhealthy for the application health check. */
  newInstancesUnhealthy = false;
  /** A further condition of application health (e.g. its data volume attached); none by default. */
  appCondition: ((i: SimInstance) => boolean) | null = null;
  private crashAfterOp: SimOperation | null = null;
  private crashBeforeOp: SimOperation | null = null;
  private crashResolve: ((op: SimOperation) => void) | null = null;
  /** An armed crash happens only on a call of its operation for which this holds. */
  private crashWhen: (() => boolean) | null = null;
  private crashThisCall = false;
  private seq = 0;

  constructor(opts: SimCloudOptions) {
    this.clock = opts.clock;
    this.latencies = { ...DEFAULT_LATENCIES, ...(opts.latencies ?? {}) };
    this.prices = [...(opts.prices ?? [])].sort((a, b) => a.ts - b.ts);
    this.instanceTypes = opts.instanceTypes ?? [];
  }

  /** The bundled instance-type catalog, read once per cloud when first needed. */
  catalog(): Map<string, InstanceTypeInfo> {
    this.bundledCatalog ??= loadSimCatalog();
    return this.bundledCatalog;
  }

  /** Forgets every resource, fault and call. */
  reset(): void {
    this.instances.clear();
    this.volumes.clear();
    this.detaching.clear();
    this.notOffered.clear();
    this.images.clear();
    this.addresses.clear();
    this.targetGroups.clear();
    this.calls.length = 0;
    this.noCapacity.clear();
    this.nextErrors.clear();
    this.failWhen.clear();
    this.stalls.images = this.stalls.statusChecks = this.stalls.health = false;
    this.newInstancesUnhealthy = false;
    this.appCondition = null;
    this.crashAfterOp = null;
    this.crashBeforeOp = null;
    this.crashResolve = null;
    this.crashWhen = null;
  }

  id(prefix: string): string {
    this.seq++;
    return `${prefix}-${this.seq.toString(16).padStart(17, "0")}`;
  }

  /** The next `times` calls of `op` (those for which `when` holds, if given) fail with `fault`. */
  failNext(op: SimOperation, fault: SimFault, times = 1, when?: () => boolean): void {
    if (when) this.failWhen.set(op, when);
    const list = this.nextErrors.get(op) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.nextErrors.set(op, list);
  }

  /**
   * Simulates the process dying right after `op` took effect in the cloud (on the first call for which `when`
   * holds, if given): the call never returns.
   * The promise resolves when the crash happened; the test then starts a new runner and resumes.
   */
  crashAfter(op: SimOperation, when?: () => boolean): Promise<SimOperation> {
    this.crashAfterOp = op;
    this.crashWhen = when ?? null;
    return new Promise((resolve) => {
      this.crashResolve = resolve;
    });
  }

  /**
   * Simulates the process dying right before `op` reaches the cloud: the call never returns and changes nothing.
   * The promise resolves when the crash happened.
   */
  crashBefore(op: SimOperation, when?: () => boolean): Promise<SimOperation> {
    this.crashBeforeOp = op;
    this.crashWhen = when ?? null;
    return new Promise((resolve) => {
      this.crashResolve = resolve;
    });
  }

  /** Called by the port first: hangs forever when a crash is armed before `op`. */
  async before(op: SimOperation): Promise<void> {
    if (this.crashBeforeOp !== op || (this.crashWhen && !this.crashWhen())) return;
    this.crashBeforeOp = null;
    const resolve = this.crashResolve;
    this.crashResolve = null;
    resolve?.(op);
    await new Promise<never>(() => {});
  }

  /** Called by the port before an operation: records it and returns the fault to throw, if any. */
  enter(op: SimOperation, accountId: string, input: unknown): SimFault | undefined {
    this.calls.push({ op, at: this.clock.now(), accountId, input });
    settleVolumes(this);
    // an armed crash after `op` is decided before the call changes the world
    this.crashThisCall = this.crashAfterOp === op && (!this.crashWhen || this.crashWhen());
    const when = this.failWhen.get(op);
    if (when && !when()) return undefined;
    const list = this.nextErrors.get(op);
    const fault = list?.shift();
    if (!list?.length) this.failWhen.delete(op);
    return fault;
  }

  /** Called by the port after an operation took effect: hangs forever when a crash is armed for it. */
  async leave<T>(op: SimOperation, value: T): Promise<T> {
    if (this.crashAfterOp === op && this.crashThisCall) {
      this.crashAfterOp = null;
      const resolve = this.crashResolve;
      this.crashResolve = null;
      resolve?.(op);
      return new Promise<T>(() => {});
    }
    return value;
  }

  /** AWS reclaims a spot instance (or it dies): it shuts down now, its addresses and targets fall off. */
  reclaim(instanceId: string): void {
    const i = this.instances.get(instanceId);
    if (!i || i.terminatedAt !== undefined) return;
    i.terminatedAt = this.clock.now();
    this.detachFrom(instanceId);
  }

  /**
   * What happens to an instance's attachments when it terminates: EIPs disassociate, targets drop out, volumes
   * with DeleteOnTermination are deleted and the others are left detached (available).
   */
  detachFrom(instanceId: string): void {
    for (const v of this.volumes.values()) {
      if (v.attachment?.instanceId !== instanceId) continue;
      if (v.attachment.deleteOnTermination) v.deleted = true;
      v.attachment = undefined;
    }
    for (const a of this.addresses.values()) {
      if (a.instanceId === instanceId) {
        a.instanceId = undefined;
        a.associationId = undefined;
      }
    }
    for (const set of this.targetGroups.values()) set.delete(instanceId);
  }

  callsOf(op: SimOperation): SimCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  /** Adds a running instance (a fleet member), with an optional Elastic IP and target group. */
  seedInstance(
    i: Partial<SimInstance> & Pick<SimInstance, "accountId" | "region" | "az" | "instanceType">,
    extras: {
      elasticIp?: string;
      targetGroupArn?: string;
      /** Data volumes besides the root volume. */
      dataVolumes?: Array<{ deviceName: string; deleteOnTermination: boolean; tags?: Record<string, string> }>;
      rootVolumeTags?: Record<string, string>;
    } = {},
  ): SimInstance {
    const now = this.clock.now();
    const inst: SimInstance = {
      instanceId: i.instanceId ?? this.id("i"),
      state: "running",
      lifecycle: "on-demand",
      securityGroupIds: ["sg-sim"],
      subnetId: `subnet-${i.az}`,
      tags: { "spotwise:managed": "true" },
      launchedAt: now - this.latencies.bootMs - this.latencies.statusChecksMs - 3600_000,
      appHealthy: true,
      // a host address of the subnet: AWS reserves .0 to .3 of every subnet
      privateIp: `10.0.${this.seq % 250}.${((this.seq * 7) % 250) + 4}`,
      ...i,
    };
    inst.launchTime = inst.launchedAt;
    inst.architecture ??= simTypeInfo(this, inst.instanceType)?.architectures[0] ?? "x86_64";
    inst.virtualizationType ??= "hvm";
    inst.rootDeviceName ??= "/dev/xvda";
    inst.privateIps ??= inst.privateIp ? [{ privateIp: inst.privateIp, primary: true }] : [];
    this.instances.set(inst.instanceId, inst);
    if (!inst.blockDevices) {
      // a fleet member: its root volume (and data volumes) exist; launched instances get theirs from the image
      inst.blockDevices = [];
      const specs = [
        { deviceName: inst.rootDeviceName, deleteOnTermination: true, tags: extras.rootVolumeTags ?? {} },
        ...(extras.dataVolumes ?? []),
      ];
      for (const d of specs) {
        const volumeId = this.id("vol");
        this.volumes.set(volumeId, {
          volumeId,
          accountId: inst.accountId,
          region: inst.region,
          az: inst.az,
          tags: { ...(d.tags ?? {}) },
          attachment: {
            instanceId: inst.instanceId,
            deviceName: d.deviceName,
            deleteOnTermination: d.deleteOnTermination,
          },
        });
        inst.blockDevices.push({ volumeId, deviceName: d.deviceName, deleteOnTermination: d.deleteOnTermination });
      }
    }
    if (extras.elasticIp) {
      const allocationId = this.id("eipalloc");
      this.addresses.set(allocationId, {
        allocationId,
        publicIp: extras.elasticIp,
        instanceId: inst.instanceId,
        associationId: this.id("eipassoc"),
        accountId: inst.accountId,
        region: inst.region,
      });
    }
    if (extras.targetGroupArn) {
      const set = this.targetGroups.get(extras.targetGroupArn) ?? new Set<string>();
      set.add(inst.instanceId);
      this.targetGroups.set(extras.targetGroupArn, set);
    }
    return inst;
  }

  /** The instance's state now, derived from its launch and termination times. */
  stateOf(i: SimInstance): SimInstance["state"] {
    const now = this.clock.now();
    if (i.terminatedAt !== undefined) {
      return now >= i.terminatedAt + this.latencies.terminateMs ? "terminated" : "shutting-down";
    }
    if (i.stoppedAt !== undefined) return now >= i.stoppedAt + this.latencies.stopMs ? "stopped" : "stopping";
    if (i.state === "stopped" || i.state === "stopping") return i.state;
    return now >= i.launchedAt + this.latencies.bootMs ? "running" : "pending";
  }

  statusOk(i: SimInstance): boolean {
    if (this.stateOf(i) !== "running") return false;
    if (this.stalls.statusChecks && i.tags["spotwise:saga-id"]) return false;
    return this.clock.now() >= i.launchedAt + this.latencies.bootMs + this.latencies.statusChecksMs;
  }

  /** Application health as the health check sees it. */
  healthy(instanceId: string): boolean {
    const i = this.instances.get(instanceId);
    if (!i || !this.statusOk(i) || !i.appHealthy) return false;
    if (this.appCondition && !this.appCondition(i)) return false;
    if (this.stalls.health && i.tags["spotwise:saga-id"]) return false;
    return (
      this.clock.now() >=
      i.launchedAt + this.latencies.bootMs + this.latencies.statusChecksMs + this.latencies.healthyMs
    );
  }

  imageState(img: SimImage): SimImage["state"] {
    if (img.state === "deregistered" || img.state === "failed") return img.state;
    if (this.stalls.images) return "pending";
    return this.clock.now() >= img.availableAt ? "available" : "pending";
  }
}

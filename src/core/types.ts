/**
 * Domain types shared by every part of spotwise. Plain data, no SDK types.
 * Times are epoch milliseconds (UTC) everywhere in the core.
 */

export type EpochMs = number;

/** A spot pool: one instance type in one availability zone of one region. */
export interface PoolKey {
  region: string;
  az: string;
  instanceType: string;
}

export function poolId(p: PoolKey): string {
  return `${p.region}/${p.az}/${p.instanceType}`;
}

export function parsePoolId(id: string): PoolKey {
  const [region, az, instanceType] = id.split("/");
  if (!region || !az || !instanceType) throw new Error(`not a pool id: ${id}`);
  return { region, az, instanceType };
}

/** One AWS spot price record: the price holds from `ts` until the next record of the same pool. */
export interface PricePoint {
  ts: EpochMs;
  price: number;
}

export interface PriceRecord extends PoolKey, PricePoint {}

/**
 * One capacity observation of a pool: `available` 1 means capacity was there (a launch worked,
 * the instance kept running), 0 means it was lost (interruption warning, AWS termination,
 * InsufficientInstanceCapacity). It holds until the next observation, like a price.
 */
export interface CapacityPoint {
  ts: EpochMs;
  available: 0 | 1;
}

export type CapacitySource =
  | "interruption-warning"
  | "rebalance-recommendation"
  | "terminated-by-aws"
  | "insufficient-capacity"
  | "launch-ok"
  | "running"
  | "trace";

export interface CapacityEvent extends PoolKey, CapacityPoint {
  source: CapacitySource;
}

export type InterruptionBucket = 0 | 1 | 2 | 3 | 4;
/** AWS Spot Advisor labels, index = bucket. */
export const ADVISOR_BUCKET_LABELS = ["<5%", "5-10%", "10-15%", "15-20%", ">20%"] as const;
/** Monthly interruption rate assumed per bucket (mid-point; unknown counts as the worst). */
export const ADVISOR_BUCKET_MONTHLY_RATE = [0.025, 0.075, 0.125, 0.175, 0.25] as const;

export interface AdvisorEntry {
  region: string;
  instanceType: string;
  bucket: InterruptionBucket;
  savingsPct: number;
}

export interface InstanceTypeInfo {
  instanceType: string;
  vcpus: number;
  memoryMib: number;
  architectures: string[];
  gpuCount: number;
  gpuModel: string | null;
  burstable: boolean;
  currentGeneration: boolean;
}

export type Mode = "shadow" | "approve";

export interface AccountRef {
  /** 12-digit AWS account id, or "sim" / "local" for the simulated cloud. */
  accountId: string;
  name: string;
  regions: string[];
  roleArn?: string;
  externalId?: string;
}

/** An EC2 instance spotwise manages (tag spotwise:managed=true). */
export interface ManagedInstance {
  instanceId: string;
  accountId: string;
  region: string;
  az: string;
  instanceType: string;
  lifecycle: "spot" | "on-demand";
  subnetId?: string;
  /** True when no data volume pins it to its AZ (tag spotwise:az-flexible=true). */
  azFlexible: boolean;
  /** Model name from tag spotwise:model=NAME: a lab subject decided by that model. */
  modelOverride?: string;
  launchedAt?: EpochMs;
  tags: Record<string, string>;
}

export type DecisionAction = "SWITCH" | "STAY" | "ONDEMAND";

export interface Decision {
  action: DecisionAction;
  instanceId: string;
  accountId: string;
  from: PoolKey;
  to: PoolKey | null;
  /** Positive = cheaper after the move, USD. */
  savingPerHour: number;
  savingPerMonth: number;
  riskFrom: number;
  riskTo: number | null;
  modelName: string | null;
  modelId: string | null;
  /** Model confidence in [0,1]; null: no model produces a calibrated confidence yet (decide sets null). */
  confidence: number | null;
  /** True when the advisor-bucket heuristic decided because no usable model was there. */
  fallback: boolean;
  strategy: string;
  reasons: string[];
  /** Next candidates in order, tried when the first target has no capacity. */
  alternatives: PoolKey[];
}

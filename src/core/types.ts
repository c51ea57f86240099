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
  /** hvm and/or paravirtual (DescribeInstanceTypes SupportedVirtualizationTypes); unknown when absent. */
  virtualizationTypes?: string[];
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
  /** The EC2 instance running the workload now; changes at every switch. */
  instanceId: string;
  /**
   * Stable id of the managed instance: the id of the first EC2 instance of its lineage. A replacement launched
   * by a switch (tag spotwise:replaces) inherits it, so history, dwell, the weekly cap and counterfactuals
   * follow the workload across switches. Absent = instanceId (first sighting).
   */
  managedId?: string;
  accountId: string;
  region: string;
  az: string;
  instanceType: string;
  lifecycle: "spot" | "on-demand";
  subnetId?: string;
  /**
   * True when no data volume pins it to its AZ: tagged spotwise:az-flexible=true and no data volume kept on
   * termination (those are moved to the replacement, which can only be done within their AZ).
   */
  azFlexible: boolean;
  /** How a switch treats its data volumes kept on termination ("data volumes moved: vol-… at /dev/sdf …"); absent when it has none. */
  dataVolumes?: string;
  /** Why no switch can be run for it (the policy then advises STAY, saying so); absent when it can be switched. */
  switchBlocked?: string;
  /** Model name from tag spotwise:model=NAME: a lab subject decided by that model. */
  modelOverride?: string;
  launchedAt?: EpochMs;
  tags: Record<string, string>;
}

export type DecisionAction = "SWITCH" | "STAY" | "ONDEMAND";

export interface Decision {
  action: DecisionAction;
  /** The EC2 instance the decision is about (the one a switch replaces). */
  instanceId: string;
  /** Stable managed-instance id (see ManagedInstance.managedId); absent = instanceId. */
  managedId?: string;
  accountId: string;
  from: PoolKey;
  to: PoolKey | null;
  /**
   * Risk-adjusted expected saving, USD/h (positive = cheaper after the move): expected cost of `from` minus
   * that of `to`, each = price (judged against its recent mean) + riskPerHour × interruption cost, capped at
   * the on-demand price. Never above the on-demand price. Use it to rank, not to promise money.
   */
  savingPerHour: number;
  /** savingPerHour × 730. */
  savingPerMonth: number;
  /**
   * Price saving, USD/h: the spot price now of `from` (on-demand price when on-demand) minus the price now
   * of `to`, both from the price series, no risk term. The money figure to show. 0 for a STAY.
   */
  priceSavingPerHour?: number;
  /** priceSavingPerHour × 730. */
  priceSavingPerMonth?: number;
  /** P(interruption within the next hour) where the instance runs now (0 on-demand); see core/policy/risk.ts. */
  riskFrom: number;
  /** The same for the target; 0 for ONDEMAND, null for a STAY. */
  riskTo: number | null;
  /** Where riskFrom came from: "advisor" (Spot Advisor bucket), "observed" (bucket + spotwise's observations), "on-demand". */
  riskFromSource?: string;
  /** Where riskTo came from (as riskFromSource); null for a STAY. */
  riskToSource?: string | null;
  /**
   * The model's P(a launch into the target finds no capacity), when a model scored the target from enough
   * observations; null otherwise. Orders and vetoes targets; never priced as interruption risk.
   */
  launchFailureTo?: number | null;
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

/**
 * Capacity signals observed by spotwise itself, turned into the per-pool capacity-signal series
 * (CapacityEvent: available 1 = capacity was there, 0 = it was lost). Sources:
 * - EventBridge "EC2 Spot Instance Interruption Warning" and "EC2 Instance Rebalance Recommendation"
 *   (delivered through SQS when configured): 0. A rebalance recommendation is AWS saying the instance is at
 *   elevated risk of interruption; spotwise records it as a loss signal like the warning itself.
 * - a spot instance terminated by AWS: 0; InsufficientInstanceCapacity on launch: 0;
 * - a launch that worked, an instance seen running: 1.
 */
import { z } from "zod";
import { type CodedError, isCodedError } from "../errors.js";
import type { MarketStore } from "../ports/market-store.js";
import type { CapacityEvent, CapacitySource, EpochMs, PoolKey } from "../types.js";
import type { MarketLogger } from "./log.js";

export const CAPACITY_AVAILABLE: Record<CapacitySource, 0 | 1> = {
  "interruption-warning": 0,
  "rebalance-recommendation": 0,
  "terminated-by-aws": 0,
  "insufficient-capacity": 0,
  "launch-ok": 1,
  running: 1,
  trace: 1,
};

export function capacityEvent(source: CapacitySource, pool: PoolKey, at: EpochMs): CapacityEvent {
  return {
    region: pool.region,
    az: pool.az,
    instanceType: pool.instanceType,
    ts: at,
    available: CAPACITY_AVAILABLE[source],
    source,
  };
}

/** AWS error names that mean the pool had no capacity (not account limits such as MaxSpotInstanceCountExceeded). */
const NO_CAPACITY = new Set(["InsufficientInstanceCapacity", "InsufficientCapacity", "InsufficientHostCapacity"]);

/** The outcome of a launch into `pool`: launch-ok, insufficient-capacity, or null for errors that say nothing about capacity. */
export function launchOutcome(pool: PoolKey, at: EpochMs, error?: unknown): CapacityEvent | null {
  if (error === undefined) return capacityEvent("launch-ok", pool, at);
  if (isCodedError(error, "aws_capacity") && NO_CAPACITY.has(String((error as CodedError).detail?.awsError))) {
    return capacityEvent("insufficient-capacity", pool, at);
  }
  return null;
}

/** EC2 state reason codes of a spot instance that AWS took back. */
const AWS_TERMINATION = new Set(["Server.SpotInstanceTermination", "Server.SpotInstanceShutdown"]);

export function isTerminatedByAws(stateReasonCode: string | undefined): boolean {
  return stateReasonCode !== undefined && AWS_TERMINATION.has(stateReasonCode);
}

const SpotEventSchema = z.object({
  "detail-type": z.enum(["EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"]),
  source: z.literal("aws.ec2"),
  account: z.string(),
  region: z.string(),
  time: z.string(),
  detail: z.object({ "instance-id": z.string().min(1) }),
});

export interface SpotEvent {
  kind: "interruption-warning" | "rebalance-recommendation";
  accountId: string;
  region: string;
  instanceId: string;
  at: EpochMs;
}

/** Parses one EventBridge event (the body of an SQS message); null for anything else. */
export function parseSpotEvent(body: unknown): SpotEvent | null {
  let data = body;
  if (typeof body === "string") {
    try {
      data = JSON.parse(body);
    } catch {
      return null;
    }
  }
  const r = SpotEventSchema.safeParse(data);
  if (!r.success) return null;
  const at = Date.parse(r.data.time);
  if (!Number.isFinite(at)) return null;
  return {
    kind:
      r.data["detail-type"] === "EC2 Spot Instance Interruption Warning"
        ? "interruption-warning"
        : "rebalance-recommendation",
    accountId: r.data.account,
    region: r.data.region,
    instanceId: r.data.detail["instance-id"],
    at,
  };
}

/**
 * Records spot events into the capacity series. `resolve` maps an instance id to its pool (the managed
 * instance table); events of instances spotwise does not know, and unparsable messages, are counted and
 * logged once per batch, never thrown.
 */
export async function recordSpotEvents(
  deps: { store: MarketStore; log: MarketLogger },
  bodies: unknown[],
  resolve: (accountId: string, instanceId: string) => Promise<PoolKey | undefined>,
): Promise<{ recorded: number; unknownInstance: number; unparsable: number }> {
  const events: CapacityEvent[] = [];
  let unknownInstance = 0;
  let unparsable = 0;
  for (const body of bodies) {
    const ev = parseSpotEvent(body);
    if (!ev) {
      unparsable++;
      continue;
    }
    const pool = await resolve(ev.accountId, ev.instanceId);
    if (!pool) {
      unknownInstance++;
      continue;
    }
    events.push(capacityEvent(ev.kind, pool, ev.at));
  }
  const { added } = events.length ? await deps.store.appendCapacity(events) : { added: 0 };
  if (unknownInstance || unparsable) {
    deps.log.warn({ unknownInstance, unparsable, total: bodies.length }, "spot events skipped");
  }
  return { recorded: added, unknownInstance, unparsable };
}

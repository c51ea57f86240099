/**
 * What the simulated EC2 answers without changing the world: the recorded spot price history, placement scores,
 * the SDK-shaped errors of injected faults, and the copies DescribeInstances hands out.
 */
import { type PriceRecord, poolId } from "../../core/types.js";
import type { SimCloud, SimFault } from "./cloud.js";

export const FAULT_ERRORS: Record<SimFault, { name: string; message: string }> = {
  throttling: { name: "RequestLimitExceeded", message: "Request limit exceeded." },
  capacity: {
    name: "InsufficientInstanceCapacity",
    message: "There is no Spot capacity available that matches your request.",
  },
  timeout: { name: "TimeoutError", message: "socket timed out" },
  denied: { name: "UnauthorizedOperation", message: "You are not authorized to perform this operation." },
  server: { name: "InternalError", message: "An internal error has occurred." },
  unavailable: { name: "Unavailable", message: "The server is overloaded and can't handle the request." },
  lost: { name: "TimeoutError", message: "socket timed out (the request reached AWS; the response was lost)" },
};

const FAULT_STATUS: Partial<Record<SimFault, number>> = { server: 500, unavailable: 503, throttling: 503 };

/** The SDK-shaped error for an injected fault. */
export function faultError(fault: SimFault, requestId: string): Error {
  const f = FAULT_ERRORS[fault];
  return Object.assign(new Error(f.message), {
    name: f.name,
    $metadata: { requestId, httpStatusCode: FAULT_STATUS[fault] ?? 400 },
  });
}

/** DescribeSpotPriceHistory in `region`: the records from startTime to min(endTime, now), paginated. */
export function spotPriceHistory(
  cloud: SimCloud,
  region: string,
  input: { startTime: number; endTime?: number; instanceTypes?: string[]; nextToken?: string; maxResults?: number },
): { records: PriceRecord[]; nextToken?: string } {
  const end = Math.min(input.endTime ?? cloud.clock.now(), cloud.clock.now());
  const types = input.instanceTypes?.length ? new Set(input.instanceTypes) : null;
  // the records are sorted by time (SimCloud, loadSimMarket): only those from startTime to end are looked at
  const prices = cloud.prices;
  let lo = 0;
  let hi = prices.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (prices[mid].ts < input.startTime) lo = mid + 1;
    else hi = mid;
  }
  const all: PriceRecord[] = [];
  for (let k = lo; k < prices.length && prices[k].ts <= end; k++) {
    const p = prices[k];
    if (p.region === region && (!types || types.has(p.instanceType))) all.push(p);
  }
  const offset = Number(input.nextToken ?? 0);
  const max = input.maxResults ?? 1000;
  const records = all.slice(offset, offset + max);
  const next = offset + max < all.length ? String(offset + max) : undefined;
  return { records, nextToken: next };
}

/** GetSpotPlacementScores per AZ of `region`: 9, less 4 per asked type short of capacity there (at least 1). */
export function placementScores(
  cloud: SimCloud,
  region: string,
  input: { instanceTypes: string[] },
): Array<{ region: string; az: string; score: number }> {
  const azs = new Set(cloud.prices.filter((p) => p.region === region).map((p) => p.az));
  return [...azs].sort().map((az) => {
    const short = input.instanceTypes.filter((t) => cloud.noCapacity.has(poolId({ region, az, instanceType: t })));
    return { region, az, score: short.length === 0 ? 9 : Math.max(1, 9 - 4 * short.length) };
  });
}

/**
 * A copy of `x` that shares nothing mutable with it, for values two levels deep at most (an instance's fields:
 * primitives, objects of primitives, arrays of primitives or of such objects). structuredClone did the same at
 * several times the cost, which a DescribeInstances of 10,000 instances paid each decide tick.
 */
export function copyTwoLevels<T extends object>(x: T): T {
  const out: Record<string, unknown> = {};
  const src = x as Record<string, unknown>;
  for (const k in src) {
    if (!Object.hasOwn(src, k)) continue;
    const v = src[k];
    if (Array.isArray(v)) out[k] = v.map((e: unknown) => (e !== null && typeof e === "object" ? { ...e } : e));
    else if (v !== null && typeof v === "object") out[k] = { ...v };
    else out[k] = v;
  }
  return out as T;
}

/** A small simulated fleet for the demo and `SPOTWISE_CLOUD=sim`: opted-in instances, an EIP, a target group. */
import type { PriceRecord } from "../../core/types.js";
import type { SimCloud, SimInstance } from "./cloud.js";

export const SIM_ACCOUNT = "sim";

export interface SimFleetOptions {
  accountId?: string;
  region?: string;
  /** Instances to seed as [instanceType, az]; default: three general-purpose and GPU instances. */
  instances?: Array<[string, string]>;
}

/**
 * Seeds a fleet with stable ids (i-sim0001, …): the first instance gets an Elastic IP and a target group,
 * the last one is NOT opted in (tag spotwise:managed=false) to show the guard.
 */
export function seedSimFleet(cloud: SimCloud, opts: SimFleetOptions = {}): SimInstance[] {
  const accountId = opts.accountId ?? SIM_ACCOUNT;
  const region = opts.region ?? "us-east-1";
  const specs = opts.instances ?? [
    ["m5.xlarge", `${region}a`],
    ["p3.2xlarge", `${region}b`],
    ["c5.large", `${region}a`],
    ["t3.large", `${region}c`],
  ];
  return specs.map(([instanceType, az], n) => {
    const last = n === specs.length - 1 && specs.length > 1;
    const instanceId = `i-sim${String(n + 1).padStart(4, "0")}`;
    return cloud.seedInstance(
      {
        instanceId,
        accountId,
        region,
        az,
        instanceType,
        keyName: "ops",
        iamInstanceProfileArn: `arn:aws:iam::000000000000:instance-profile/app`,
        userData: "#!/bin/sh\necho hello\n",
        tags: {
          Name: `sim-${instanceType}`,
          "spotwise:managed": last ? "false" : "true",
          "spotwise:health-url": "http://{privateIp}:8080/healthz",
        },
      },
      n === 0
        ? {
            elasticIp: "203.0.113.10",
            targetGroupArn: `arn:aws:elasticloadbalancing:${region}:000000000000:targetgroup/app/0123456789abcdef`,
          }
        : {},
    );
  });
}

/** Loads recorded market data to replay (e.g. the bundled GPU price file, parsed by the market loader). */
export function loadSimMarket(cloud: SimCloud, prices: PriceRecord[]): void {
  cloud.prices = [...prices].sort((a, b) => a.ts - b.ts);
}

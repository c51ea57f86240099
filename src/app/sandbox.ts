/**
 * `SPOTWISE_CLOUD=sim`: a sandbox without AWS. The simulated cloud replays the bundled real GPU spot market
 * (2019-12 .. 2020-01, MIT) shifted so that two weeks of it lie in the past and the rest unfolds in real time,
 * with a seeded fleet of GPU instances in the pools where moving pays (most in the dearest AZ of their type).
 * `start`, `daemon`, `bot`, `scrape` and `decide` run the real jobs, the real bot and the real switch saga
 * against it; only the cloud is simulated. The simulated cloud lives in the process: run `spotwise start`
 * (daemon and bot in one process) to approve and switch what the daemon recommends.
 */
import { SimCloud, type SimLatencies } from "../adapters/sim/cloud.js";
import type { Config } from "../config/schema.js";
import type { Clock } from "../core/ports/clock.js";
import type { AccountRef, PriceRecord } from "../core/types.js";
import { bundledMarket, typesInSeveralAzs } from "./bundled-market.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const SANDBOX_ACCOUNT: Pick<AccountRef, "accountId" | "name"> = {
  accountId: "sim",
  name: "sandbox (simulated)",
};

/** Days of the bundled market that lie before "now" (the scrape's first look-back reads them). */
export const SANDBOX_HISTORY_DAYS = 14;

export interface Sandbox {
  cloud: SimCloud;
  accounts: AccountRef[];
  /** Subnet per AZ of the sandbox account (every AZ of the market), for AZ moves. */
  subnets: Record<string, Record<string, string>>;
  /** How far the bundled market was shifted, ms. */
  shiftMs: number;
  instanceIds: string[];
}

/**
 * Latencies of the simulated cloud in polls of the switch saga (`switch.pollIntervalSeconds`): a switch takes a
 * handful of polls, about two minutes at the default 15 s, so a sandbox round fits in a coffee.
 */
export function sandboxLatencies(pollIntervalMs: number): SimLatencies {
  return {
    imageMs: 2 * pollIntervalMs,
    bootMs: pollIntervalMs,
    statusChecksMs: pollIntervalMs,
    healthyMs: pollIntervalMs,
    terminateMs: pollIntervalMs,
    stopMs: pollIntervalMs,
    volumeMs: pollIntervalMs,
  };
}

/** The pools with the widest price gap between AZs at `t`: one instance per type, in its dearest AZ. */
export function sandboxFleet(prices: readonly PriceRecord[], t: number, n: number): PriceRecord[] {
  return typesInSeveralAzs(prices, t)
    .map((rs) => rs.sort((a, b) => b.price - a.price || a.az.localeCompare(b.az)))
    .filter((rs) => rs[0].price > rs[rs.length - 1].price)
    .sort(
      (a, b) =>
        b[0].price / b[b.length - 1].price - a[0].price / a[a.length - 1].price ||
        a[0].region.localeCompare(b[0].region) ||
        a[0].instanceType.localeCompare(b[0].instanceType),
    )
    .slice(0, n)
    .map((rs) => rs[0]);
}

export async function openSandbox(config: Config, clock: Clock, opts: { instances?: number } = {}): Promise<Sandbox> {
  const market = await bundledMarket();
  const first = market[0].ts;
  const now = clock.now();
  const shiftMs = Math.floor((now - (first + SANDBOX_HISTORY_DAYS * DAY)) / HOUR) * HOUR;
  const prices = market.map((r) => ({ ...r, ts: r.ts + shiftMs }));
  const cloud = new SimCloud({
    clock,
    prices,
    latencies: sandboxLatencies(config.file.switch.pollIntervalSeconds * 1000),
  });
  const fleet = sandboxFleet(prices, now, opts.instances ?? 6);
  const regions = [...new Set(fleet.map((f) => f.region))].sort();
  const azs = [...new Set(prices.filter((p) => regions.includes(p.region)).map((p) => p.az))].sort();
  const instanceIds = fleet.map((f, n) => {
    const instanceId = `i-sandbox${String(n + 1).padStart(4, "0")}`;
    cloud.seedInstance({
      instanceId,
      accountId: SANDBOX_ACCOUNT.accountId,
      region: f.region,
      az: f.az,
      instanceType: f.instanceType,
      lifecycle: "spot",
      launchedAt: now - SANDBOX_HISTORY_DAYS * DAY,
      keyName: "sandbox",
      userData: "#!/bin/sh\necho spotwise sandbox\n",
      tags: {
        Name: `sandbox-${f.instanceType}`,
        "spotwise:managed": "true",
        "spotwise:az-flexible": "true",
        "spotwise:health-url": "http://{privateIp}:8080/healthz",
      },
    });
    return instanceId;
  });
  return {
    cloud,
    accounts: [{ ...SANDBOX_ACCOUNT, regions }],
    subnets: { [SANDBOX_ACCOUNT.accountId]: Object.fromEntries(azs.map((az) => [az, `subnet-${az}`])) },
    shiftMs,
    instanceIds,
  };
}

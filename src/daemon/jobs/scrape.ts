/**
 * The scrape tick: spot prices of every configured account and region into the market store, scoped to
 * the instance types the managed fleet could use (one page per region for an unchanged market).
 */
import type { Logger } from "../../adapters/log/logger.js";
import type { FleetStore, FleetTypesReader } from "../../core/fleet/discovery.js";
import type { HealthService } from "../../core/health/health.js";
import type { SpotPriceScraper } from "../../core/market/scraper.js";
import { drainSpotEvents, type SpotEventQueue } from "../../core/market/spot-event-intake.js";
import type { CompatibleTypes } from "../../core/policy/candidates.js";
import type { Ec2Factory, Ec2Port } from "../../core/ports/ec2.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import type { AccountRef } from "../../core/types.js";
import type { Job } from "../job.js";

export interface ScrapeDeps {
  accounts: AccountRef[];
  ec2: Ec2Factory;
  scraper: SpotPriceScraper;
  /** Instances by id (spot events name the instance they hit). */
  fleet: FleetStore;
  /** The types the running fleet uses with their base types: the scope. */
  fleetTypes: FleetTypesReader;
  /** The compatible types of each base type (catalog and candidate rules), memoised for the process. */
  types: CompatibleTypes;
  health: HealthService;
  metrics: {
    ec2Calls: { inc(l: { operation: string }, n?: number): void };
    ec2Throttles: { inc(l: { operation: string }, n?: number): void };
  };
  log: Logger;
  /** EventBridge spot events (interruption warnings, rebalance recommendations) through SQS, when configured. */
  spotEvents?: { queue: SpotEventQueue; store: MarketStore };
}

export class ScrapeJob implements Job {
  readonly name = "scrape" as const;
  constructor(private readonly d: ScrapeDeps) {}

  /** Types the fleet runs or could move to; empty when no fleet is known yet (then everything is scraped). */
  async scope(): Promise<string[]> {
    const types = new Set<string>();
    const bases = new Set<string>();
    for (const t of await this.d.fleetTypes.typesInUse()) {
      types.add(t.instanceType);
      bases.add(t.baseType);
    }
    for (const b of bases) for (const t of this.d.types.of(b)) types.add(t);
    return [...types].sort();
  }

  async tick(_now: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const { d } = this;
    const ports: Ec2Port[] = [];
    const failures: string[] = [];
    for (const a of d.accounts) {
      for (const region of a.regions) {
        signal?.throwIfAborted(); // safe point: between accounts and regions
        try {
          ports.push(await d.ec2.forAccount(a.accountId, region, "spotwise-scrape"));
        } catch (e) {
          failures.push(`${a.accountId}/${region}: ${e instanceof Error ? e.message : String(e)}`);
          await d.health.fail(`aws:${a.accountId}`, e instanceof Error ? e.message : String(e));
        }
      }
    }
    const types = await this.scope();
    signal?.throwIfAborted(); // safe point: before the price history calls
    const run = await d.scraper.scrape(ports, types.length ? { instanceTypes: types } : {});
    d.metrics.ec2Calls.inc({ operation: "DescribeSpotPriceHistory" }, run.apiCalls);
    const throttled = run.regions.reduce((s, r) => s + r.throttled, 0);
    if (throttled) d.metrics.ec2Throttles.inc({ operation: "DescribeSpotPriceHistory" }, throttled);
    for (const r of run.regions) {
      if (r.error) failures.push(`${r.accountId}/${r.region}: ${r.error.message}`);
    }
    let events: Record<string, unknown> = {};
    if (d.spotEvents) {
      const drained = await drainSpotEvents({ ...d.spotEvents, log: d.log }, async (_accountId, instanceId) => {
        const inst = await d.fleet.get(instanceId);
        return inst ? { region: inst.region, az: inst.az, instanceType: inst.instanceType } : undefined;
      });
      if (drained.error) failures.push(`spot events: ${drained.error}`);
      events = { spotEvents: drained.received, capacityPoints: drained.recorded };
    }
    if (failures.length === 0) await d.health.ok("scraper", `${run.stored} new points, ${run.apiCalls} calls`);
    else await d.health.fail("scraper", failures.join("; "), failures.length < ports.length ? "degraded" : "down");
    return {
      regions: run.regions.length,
      apiCalls: run.apiCalls,
      received: run.received,
      stored: run.stored,
      throttled,
      failed: failures.length,
      scopedTypes: types.length,
      ...events,
    };
  }
}

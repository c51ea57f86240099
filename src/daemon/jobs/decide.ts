/**
 * The decide tick: discover the managed fleet, read the market history of every pool in play, compute
 * features, score them with the champion (and every shadow and lab model), run the policy per instance,
 * persist the decisions and post each SWITCH as a recommendation. It never executes a switch: approvals do.
 */
import type { Logger } from "../../adapters/log/logger.js";
import type { PolicyConfig } from "../../config/schema.js";
import type { ControlService } from "../../core/control/service.js";
import { buildFeatureMatrix } from "../../core/features/engine.js";
import { readFeatureSeries } from "../../core/features/inputs.js";
import type { DecisionStore } from "../../core/fleet/decisions.js";
import { discoverFleet, type FleetStore } from "../../core/fleet/discovery.js";
import type { HealthService } from "../../core/health/health.js";
import type { AdvisorTable, Catalog, OnDemandTable } from "../../core/market/tables.js";
import { tableKey } from "../../core/market/tables.js";
import type { ChampionChallenger, InstanceRisk } from "../../core/models/champion-challenger.js";
import { advisorBucketHourlyRisk } from "../../core/models/heuristic.js";
import { BASE_TYPE_TAG, budgetOrder, candidatePools, decideFromQuotes } from "../../core/policy/index.js";
import { priceEwma } from "../../core/policy/outlook.js";
import type { Ec2Factory } from "../../core/ports/ec2.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import type { RecommendationPublisher } from "../../core/recommendations/publisher.js";
import type { RecommendationService } from "../../core/recommendations/service.js";
import {
  type AccountRef,
  type Decision,
  type ManagedInstance,
  type PoolKey,
  parsePoolId,
  poolId,
} from "../../core/types.js";
import type { Job } from "../job.js";

export interface DecideDeps {
  accounts: AccountRef[];
  /** Subnet per AZ, per account: AZ moves of az-flexible instances need one for the target AZ. */
  subnets: Record<string, Record<string, string>>;
  ec2: Ec2Factory;
  fleet: FleetStore;
  decisions: DecisionStore;
  market: MarketStore;
  tables: { onDemand: OnDemandTable; advisor: AdvisorTable; catalog: Catalog };
  scoring: ChampionChallenger;
  control: ControlService;
  publisher: Pick<RecommendationPublisher, "publish">;
  recommendations: Pick<RecommendationService, "list">;
  policy: PolicyConfig;
  /** Sagas in flight now (the fleet disruption budget counts them). */
  switchingNow(): Promise<number>;
  health: HealthService;
  metrics: { decisions: { inc(labels: { action: string }, n?: number): void } };
  log: Logger;
}

export interface DecideResult {
  decisions: Decision[];
  ids: string[];
  [k: string]: unknown;
}

/** Model confidence in its own answer: how far the probability is from a coin flip. */
export function confidenceOf(p: number): number {
  return Math.max(p, 1 - p);
}

export class DecideJob implements Job {
  readonly name = "decide" as const;
  /** The last tick's decisions, for `spotwise decide --once --json` and the demo. */
  last: DecideResult | null = null;

  constructor(private readonly d: DecideDeps) {}

  async tick(now: number): Promise<Record<string, unknown>> {
    const { d } = this;
    const pause = await d.control.pauseStatus();
    if (pause.paused) {
      this.last = { decisions: [], ids: [] };
      return { paused: true, reason: pause.reason ?? null };
    }
    const mode = (await d.control.mode()).mode;
    const discovery = await discoverFleet(d.accounts, d.ec2, d.fleet, now);
    const failedAccounts = new Set(discovery.failures.map((f) => f.accountId));
    for (const f of discovery.failures) {
      d.log.warn({ account: f.accountId, region: f.region, error: f.error }, "fleet discovery failed");
      await d.health.fail(`aws:${f.accountId}`, `${f.region}: ${f.error}`);
    }
    for (const a of d.accounts) if (!failedAccounts.has(a.accountId)) await d.health.ok(`aws:${a.accountId}`);
    const instances = discovery.instances;
    if (instances.length === 0) {
      this.last = { decisions: [], ids: [] };
      return { instances: 0, failures: discovery.failures.length };
    }

    // every pool in play: the current pools and the candidates of every instance
    const regionPools = new Map<string, PoolKey[]>();
    for (const region of new Set(instances.map((i) => i.region))) {
      regionPools.set(region, (await d.market.listPools(region)).map(parsePoolId));
    }
    const candidatesOf = new Map<string, PoolKey[]>();
    const inPlay = new Map<string, PoolKey>();
    // instances alike in what candidates depend on share one candidate list (fleets are many of a kind)
    const byShape = new Map<string, PoolKey[]>();
    for (const inst of instances) {
      const shape = [
        inst.accountId,
        inst.region,
        inst.az,
        inst.instanceType,
        inst.tags[BASE_TYPE_TAG] ?? "",
        inst.azFlexible,
      ].join("|");
      let cands = byShape.get(shape);
      if (!cands) {
        cands = candidatePools({
          instance: inst,
          pools: regionPools.get(inst.region) ?? [],
          catalog: d.tables.catalog,
          rules: d.policy,
          subnetAzs: new Set(Object.keys(d.subnets[inst.accountId] ?? {})),
        });
        byShape.set(shape, cands);
        for (const p of cands) inPlay.set(poolId(p), p);
      }
      candidatesOf.set(inst.instanceId, cands);
    }
    const pools = [...inPlay.values()];
    const ids = pools.map(poolId);
    const series = await readFeatureSeries(d.market, ids, now);
    const features = buildFeatureMatrix({
      now,
      pools,
      prices: series.prices,
      capacity: series.capacity,
      onDemand: d.tables.onDemand,
      advisor: d.tables.advisor,
    });
    const scores = await d.scoring.scoreTick({
      tickAt: now,
      poolIds: features.poolIds,
      features: features.matrix,
      cols: features.cols,
      labModelNames: [...new Set(instances.map((i) => i.modelOverride).filter((x): x is string => !!x))],
    });
    const history = await d.decisions.history(
      instances.map((i) => i.instanceId),
      now,
    );

    // a quote depends only on the pool (and the model deciding): computed once per pool per tick
    const quoteMaps = new Map<string, PoolQuotes>();
    const quotesFor = (override: string | undefined): PoolQuotes => {
      const key = override ?? "";
      const cached = quoteMaps.get(key);
      if (cached) return cached;
      const quotes = new Map<string, Quote>();
      const unobserved = new Set<string>();
      features.poolIds.forEach((id, row) => {
        const points = series.prices.get(id) ?? [];
        const last = lastAtOrBefore(points, now);
        if (last === undefined) return;
        const r = scores.forInstance(row, override);
        // a capacity model knows nothing of a pool spotwise has never observed: the advisor bucket prices it
        const modelled = r.fallback || (series.capacity.get(id)?.length ?? 0) > 0;
        if (!modelled) unobserved.add(id);
        const p = pools[row];
        quotes.set(id, {
          price: last,
          risk: modelled
            ? r.risk
            : advisorBucketHourlyRisk(d.tables.advisor.get(tableKey(p.region, p.instanceType))?.bucket),
          confidence: r.fallback || !modelled ? null : confidenceOf(r.risk),
          recentMean: priceEwma(points, now, d.policy.priceHalfLifeHours),
          slowMean:
            d.policy.stayLevelHalfLifeHours > 0 ? priceEwma(points, now, d.policy.stayLevelHalfLifeHours) : undefined,
        });
      });
      const ref = features.poolIds.length > 0 ? scores.forInstance(0, override) : null;
      const out = { quotes, unobserved, ref };
      quoteMaps.set(key, out);
      return out;
    };

    const decideOne = (inst: ManagedInstance, switchingNow: number): Decision => {
      const baseType = inst.tags[BASE_TYPE_TAG] || inst.instanceType;
      const od = d.tables.onDemand.get(tableKey(inst.region, baseType));
      const current: PoolKey = { region: inst.region, az: inst.az, instanceType: inst.instanceType };
      if (od === undefined) {
        return stay(inst, current, `no on-demand price for ${baseType} in ${inst.region}: cannot price a switch`);
      }
      const { quotes, unobserved, ref } = quotesFor(inst.modelOverride);
      const candidates = candidatesOf.get(inst.instanceId) ?? [];
      const h = history.get(inst.instanceId);
      const decision = decideFromQuotes({
        instance: inst,
        now,
        history: { lastSwitchAt: h?.lastSwitchAt ?? null, switchesPastWeek: h?.switchesLastWeek ?? 0 },
        candidates,
        quotes,
        onDemandPrice: od,
        fleet: { switchingNow, fleetSize: instances.length },
        config: d.policy,
        model: ref && !ref.fallback && ref.modelName ? { name: ref.modelName, id: ref.modelId } : null,
      });
      if (ref?.reasons.length) decision.reasons.push(...ref.reasons);
      const blind = [current, ...candidates].filter((p) => unobserved.has(poolId(p))).length;
      if (blind) {
        decision.reasons.push(
          `no capacity observations yet for ${blind} pool(s): their risk is the Spot Advisor bucket's, not the model's`,
        );
      }
      return decision;
    };

    // first pass without the budget; then hand the budget out by priority (escapes, largest savings)
    const inFlight = await d.switchingNow();
    const byId = new Map(instances.map((i) => [i.instanceId, i]));
    const first = instances.map((i) => decideOne(i, inFlight));
    const moving = first.filter((x) => x.action !== "STAY").sort(budgetOrder);
    const final = new Map(first.map((x) => [x.instanceId, x]));
    let switching = inFlight;
    for (const m of moving) {
      const inst = byId.get(m.instanceId);
      if (!inst) continue;
      const again = decideOne(inst, switching);
      final.set(m.instanceId, again);
      if (again.action !== "STAY") switching++;
    }
    const decisions = instances.map((i) => final.get(i.instanceId) as Decision);
    const savedIds = await d.decisions.saveTick(now, mode, decisions);
    let posted = 0;
    let refreshed = 0;
    for (let i = 0; i < decisions.length; i++) {
      const x = decisions[i];
      d.metrics.decisions.inc({ action: x.action });
      if (x.action !== "SWITCH" || !x.to) continue;
      // one living message per instance: the same advice refreshes it in place, a changed one posts anew
      const r = await d.publisher.publish({ decision: x, decisionId: savedIds[i], mode });
      if (r.kind === "created") posted++;
      else if (r.kind === "refreshed") refreshed++;
    }
    this.last = { decisions, ids: savedIds };
    const count = (a: string) => decisions.filter((x) => x.action === a).length;
    return {
      mode,
      instances: instances.length,
      pools: pools.length,
      switch: count("SWITCH"),
      stay: count("STAY"),
      ondemand: count("ONDEMAND"),
      recommendations: posted,
      refreshed,
      model: scores.fallback ? "advisor-heuristic" : (scores.champion?.name ?? null),
      failures: discovery.failures.length,
    };
  }
}

interface Quote {
  price: number;
  risk: number;
  confidence: number | null;
  recentMean?: number;
  slowMean?: number;
}

interface PoolQuotes {
  quotes: Map<string, Quote>;
  /** Pools with no capacity observations: priced by the advisor bucket. */
  unobserved: Set<string>;
  /** Who scored (for the decision's model and reasons). */
  ref: InstanceRisk | null;
}

function lastAtOrBefore(points: readonly { ts: number; price: number }[], now: number): number | undefined {
  let v: number | undefined;
  for (const p of points) {
    if (p.ts > now) break;
    v = p.price;
  }
  return v;
}

function stay(inst: ManagedInstance, from: PoolKey, reason: string): Decision {
  return {
    action: "STAY",
    instanceId: inst.instanceId,
    accountId: inst.accountId,
    from,
    to: null,
    savingPerHour: 0,
    savingPerMonth: 0,
    riskFrom: 0,
    riskTo: null,
    modelName: null,
    modelId: null,
    confidence: null,
    fallback: true,
    strategy: "no-data",
    reasons: [reason],
    alternatives: [],
  };
}

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
import { discoverFleet, type FleetStore, managedIdOf } from "../../core/fleet/discovery.js";
import type { HealthService } from "../../core/health/health.js";
import type { AdvisorTable, Catalog, OnDemandTable } from "../../core/market/tables.js";
import { tableKey } from "../../core/market/tables.js";
import type { ChampionChallenger, InstanceRisk } from "../../core/models/champion-challenger.js";
import {
  BASE_TYPE_TAG,
  budgetOrder,
  candidatePools,
  decideFromQuotes,
  escapeEvidence,
  poolHourlyRisk,
  type RiskSource,
} from "../../core/policy/index.js";
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
  /** "advisor": price risk from the Spot Advisor prior alone, ignoring observations (`replay --risk advisor`). */
  risk?: "spotwise" | "advisor";
}

export interface DecideResult {
  decisions: Decision[];
  ids: string[];
  [k: string]: unknown;
}

export class DecideJob implements Job {
  readonly name = "decide" as const;
  /** The last tick's decisions, for `spotwise decide --once --json` and the demo. */
  last: DecideResult | null = null;

  constructor(private readonly d: DecideDeps) {}

  async tick(now: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
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
    // safe point: the slow part (EC2 discovery) is done and nothing has been decided or published yet
    signal?.throwIfAborted();
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
    const history = await d.decisions.history([...new Set(instances.map(managedIdOf))], now);

    // a quote depends only on the pool (and the model deciding): computed once per pool per tick
    const quoteMaps = new Map<string, PoolQuotes>();
    const quotesFor = (override: string | undefined): PoolQuotes => {
      const key = override ?? "";
      const cached = quoteMaps.get(key);
      if (cached) return cached;
      const quotes = new Map<string, Quote>();
      let observed = 0;
      let scored = 0;
      features.poolIds.forEach((id, row) => {
        const points = series.prices.get(id) ?? [];
        const last = lastAtOrBefore(points, now);
        if (last === undefined) return;
        const p = pools[row];
        const capacity = d.risk === "advisor" ? undefined : series.capacity.get(id);
        // one meaning of risk: P(interruption)/h from the advisor bucket and spotwise's own observations
        const risk = poolHourlyRisk(d.tables.advisor.get(tableKey(p.region, p.instanceType))?.bucket, capacity, now);
        if (risk.source === "observed") observed++;
        // the model measures P(a launch finds no capacity): used for that only, and only where it has observations
        const r = scores.forInstance(row, override);
        const launchFailure = !r.fallback && (capacity?.length ?? 0) > 0 ? r.risk : null;
        if (launchFailure !== null) scored++;
        quotes.set(id, {
          price: last.price,
          priceTs: last.ts,
          risk: risk.risk,
          riskSource: risk.source,
          launchFailure,
          // max(p, 1-p) is not a confidence (a calibrated 2% risk is not "98% confident"): no field until one is
          confidence: null,
          recentMean: priceEwma(points, now, d.policy.priceHalfLifeHours),
          slowMean:
            d.policy.stayLevelHalfLifeHours > 0 ? priceEwma(points, now, d.policy.stayLevelHalfLifeHours) : undefined,
        });
      });
      const ref = features.poolIds.length > 0 ? scores.forInstance(0, override) : null;
      const out = { quotes, observed, scored, ref };
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
      const { quotes, observed, scored, ref } = quotesFor(inst.modelOverride);
      const candidates = candidatesOf.get(inst.instanceId) ?? [];
      const h = history.get(managedIdOf(inst));
      const currentId = poolId(current);
      const evidence =
        inst.lifecycle === "spot"
          ? escapeEvidence({
              poolId: currentId,
              capacity: d.risk === "advisor" ? undefined : series.capacity.get(currentId),
              since: h?.poolSince ?? inst.launchedAt ?? null,
              now,
              bucket: d.tables.advisor.get(tableKey(inst.region, inst.instanceType))?.bucket,
              riskCeiling: d.policy.riskCeiling,
            })
          : null;
      const modelUsed = scored > 0 && ref && !ref.fallback && ref.modelName;
      const decision = decideFromQuotes({
        instance: { ...inst, managedId: managedIdOf(inst) },
        now,
        history: { lastSwitchAt: h?.lastSwitchAt ?? null, switchesPastWeek: h?.switchesLastWeek ?? 0 },
        candidates,
        quotes,
        onDemandPrice: od,
        fleet: { switchingNow, fleetSize: instances.length },
        config: d.policy,
        model: modelUsed ? { name: ref.modelName as string, id: ref.modelId } : null,
        evidence,
      });
      if (ref?.reasons.length) decision.reasons.push(...ref.reasons);
      const idle = !modelUsed && ref && !ref.fallback && ref.modelName;
      decision.reasons.push(
        `risk = P(interruption)/h from the Spot Advisor bucket${observed ? `, updated with spotwise's own capacity observations for ${observed} pool(s)` : ""}` +
          (modelUsed
            ? `; model ${ref.modelName} scored P(launch finds no capacity) for ${scored} observed pool(s) (veto above ${d.policy.maxLaunchFailure})`
            : idle
              ? ""
              : "; no model score (no usable model): launch failure not vetoed"),
      );
      // a champion is there but had nothing to score: say so (the risk source line reads it), not "no usable model"
      if (idle) {
        decision.reasons.push(
          `no usable model (model ${ref.modelName} scores only pools spotwise has observed, none of these yet): launch failure not vetoed`,
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
  priceTs: number;
  risk: number;
  riskSource: RiskSource;
  launchFailure: number | null;
  confidence: number | null;
  recentMean?: number;
  slowMean?: number;
}

interface PoolQuotes {
  quotes: Map<string, Quote>;
  /** Pools whose risk includes spotwise's own observations. */
  observed: number;
  /** Pools the model scored for launch failure. */
  scored: number;
  /** Who scored (for the decision's model and reasons). */
  ref: InstanceRisk | null;
}

function lastAtOrBefore(
  points: readonly { ts: number; price: number }[],
  now: number,
): { ts: number; price: number } | undefined {
  let v: { ts: number; price: number } | undefined;
  for (const p of points) {
    if (p.ts > now) break;
    v = p;
  }
  return v;
}

function stay(inst: ManagedInstance, from: PoolKey, reason: string): Decision {
  return {
    action: "STAY",
    instanceId: inst.instanceId,
    managedId: managedIdOf(inst),
    accountId: inst.accountId,
    from,
    to: null,
    savingPerHour: 0,
    savingPerMonth: 0,
    priceSavingPerHour: 0,
    priceSavingPerMonth: 0,
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

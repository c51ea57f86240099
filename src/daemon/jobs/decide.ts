/**
 * The decide tick: discover the managed fleet, read the market history of every pool in play, compute
 * features, score them with the champion (and every shadow and lab model), run the policy per instance,
 * persist the decisions and post each SWITCH as a recommendation. It never executes a switch: approvals do.
 */
import type { Logger } from "../../adapters/log/logger.js";
import type { PolicyConfig } from "../../config/schema.js";
import type { ControlService } from "../../core/control/service.js";
import { buildFeatureMatrix } from "../../core/features/engine.js";
import type { DecisionStore } from "../../core/fleet/decisions.js";
import { discoverFleet, type FleetStore, managedIdOf } from "../../core/fleet/discovery.js";
import type { HealthService } from "../../core/health/health.js";
import type { AdvisorTable, Catalog, OnDemandTable } from "../../core/market/tables.js";
import { tableKey } from "../../core/market/tables.js";
import type { ChampionChallenger } from "../../core/models/champion-challenger.js";
import {
  BASE_TYPE_TAG,
  budgetOrder,
  type CandidateQuote,
  type CompatibleTypes,
  decideFromQuotes,
  escapeEvidence,
  type SharedCandidates,
} from "../../core/policy/index.js";
import type { Ec2Factory } from "../../core/ports/ec2.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import type { RecommendationPublisher } from "../../core/recommendations/publisher.js";
import { REPOST_SAVING_SHARE, type RecommendationService, sameAdvice } from "../../core/recommendations/service.js";
import type { RecommendationRecord } from "../../core/recommendations/types.js";
import {
  type AccountRef,
  type Decision,
  type ManagedInstance,
  type Mode,
  type PoolKey,
  poolId,
} from "../../core/types.js";
import type { Job } from "../job.js";
import { DecideInputs, type ShapeCandidates } from "./decide-inputs.js";
import { type AdvicePlan, PlanMemo, planNewAdvice } from "./decide-plan.js";
import { type PoolQuotes, poolQuotes } from "./decide-quotes.js";

export { type AdvicePlan, NOT_CARRIED } from "./decide-plan.js";

export interface DecideDeps {
  accounts: AccountRef[];
  /** Subnet per AZ, per account: AZ moves of az-flexible instances need one for the target AZ. */
  subnets: Record<string, Record<string, string>>;
  ec2: Ec2Factory;
  fleet: FleetStore;
  decisions: DecisionStore;
  market: MarketStore;
  tables: { onDemand: OnDemandTable; advisor: AdvisorTable; catalog: Catalog };
  /** The compatible types of each base type (tables.catalog and the policy's candidate rules), memoised. */
  candidateTypes: CompatibleTypes;
  scoring: ChampionChallenger;
  control: ControlService;
  publisher: Pick<RecommendationPublisher, "publish">;
  recommendations: Pick<RecommendationService, "list" | "rearm">;
  policy: PolicyConfig;
  /** Sagas in flight now (the fleet disruption budget counts them). */
  switchingNow(): Promise<number>;
  health: HealthService;
  metrics: { decisions: { inc(labels: { action: string }, n?: number): void } };
  log: Logger;
  /** "advisor": price risk from the Spot Advisor prior alone, ignoring observations (`replay --risk advisor`). */
  risk?: "spotwise" | "advisor";
  /** The publisher's repost share (slack.repostSavingShare; default REPOST_SAVING_SHARE). */
  repostShare?: number;
  /** A standing advice is re-offered (its expiry re-armed) once its recommendation expires sooner than this. */
  reofferBeforeExpiryMs?: number;
  /**
   * The switch's plan for a new advice (the saga's preflight without approval, mode or budget): what the
   * replacement cannot carry over goes into the recommendation; advice no switch could run is not posted.
   */
  planAdvice?(x: Decision): Promise<AdvicePlan>;
}

/** Default of DecideDeps.reofferBeforeExpiryMs: an hour, four decide ticks at the default schedule. */
export const REOFFER_BEFORE_EXPIRY_MS = 3_600_000;

export interface DecideResult {
  decisions: Decision[];
  ids: string[];
  [k: string]: unknown;
}

export class DecideJob implements Job {
  readonly name = "decide" as const;
  /** The last tick's decisions, for `spotwise decide --once --json` and the demo. */
  last: DecideResult | null = null;
  private readonly subnetAzsOf = new Map<string, ReadonlySet<string>>();
  private readonly inputs: DecideInputs;
  private readonly plans = new PlanMemo();

  constructor(private readonly d: DecideDeps) {
    this.inputs = new DecideInputs(d.candidateTypes);
  }

  /** AZs with a subnet known for the account (AZ moves need one). */
  private subnetAzs(accountId: string): ReadonlySet<string> {
    let azs = this.subnetAzsOf.get(accountId);
    if (!azs) {
      azs = new Set(Object.keys(this.d.subnets[accountId] ?? {}));
      this.subnetAzsOf.set(accountId, azs);
    }
    return azs;
  }

  /** Pending recommendations by managed instance (one read for the tick; at most one per managed instance). */
  private async pendingAdvice(instances: number): Promise<Map<string, RecommendationRecord>> {
    const recs = await this.d.recommendations.list({ statuses: ["pending"], limit: instances + 100 });
    return new Map(recs.map((r) => [r.managedId, r]));
  }

  /**
   * Whether re-offering `x` would change nothing a reader sees: its pending recommendation stands on the very
   * decision row `x` stands in (the advice did not change), in this mode, its message is posted and its saving is
   * within the repost share. Such advice only needs its expiry re-armed once it comes within
   * REOFFER_BEFORE_EXPIRY_MS (what offer() would do, without touching the message).
   */
  private stillPosted(rec: RecommendationRecord, x: Decision, decisionId: string, mode: Mode): boolean {
    return (
      rec.decisionId === decisionId &&
      rec.mode === mode &&
      rec.channel !== null &&
      rec.messageTs !== null &&
      sameAdvice(rec, x, this.d.repostShare ?? REPOST_SAVING_SHARE)
    );
  }

  async tick(now: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const { d } = this;
    const pause = await d.control.pauseStatus();
    if (pause.paused) {
      this.last = { decisions: [], ids: [] };
      return { paused: true, reason: pause.reason ?? null };
    }
    const mode = (await d.control.mode()).mode;
    // the pool listing and the market read of the last tick's pools run while EC2 is listed
    const listed = this.inputs.listAhead(
      d.market,
      d.accounts.flatMap((a) => a.regions),
    );
    const ahead = this.inputs.readAhead(d.market, now);
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
      // no instance decided: the decisions standing for instances now gone end (those of undiscovered regions stay)
      await d.decisions.saveTick(now, mode, [], { undiscovered: discovery.failures });
      this.last = { decisions: [], ids: [] };
      return { instances: 0, failures: discovery.failures.length };
    }

    // every pool in play: the current pools and the candidates of every instance. Instances alike in what
    // candidates depend on share one candidate list (fleets are many of a kind), and alike also in lifecycle and
    // model share the policy's scan of those candidates (SharedCandidates)
    const shapeOf = await this.inputs.candidates(d.market, instances, (a) => this.subnetAzs(a), listed);
    const inPlay = new Map<string, PoolKey>();
    for (const shape of new Set(shapeOf)) for (const e of shape.entries) inPlay.set(e.id, e.pool);
    const pools = [...inPlay.values()];
    const ids = [...inPlay.keys()];
    // the market, the lineages' history and the standing advice, read at once
    const [series, history, pending] = await Promise.all([
      this.inputs.series(d.market, ids, now, ahead),
      d.decisions.history([...new Set(instances.map(managedIdOf))], now),
      this.pendingAdvice(instances.length),
    ]);
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

    // a quote depends only on the pool (and the model deciding): computed once per pool per tick
    const quoteMaps = new Map<string, PoolQuotes>();
    const quotesFor = (override: string | undefined): PoolQuotes => {
      const key = override ?? "";
      let q = quoteMaps.get(key);
      if (!q) {
        q = poolQuotes({
          now,
          pools,
          poolIds: features.poolIds,
          series,
          scores,
          override,
          advisor: d.tables.advisor,
          policy: d.policy,
          risk: d.risk,
        });
        quoteMaps.set(key, q);
      }
      return q;
    };

    // per shape, this tick: the join of its candidates with each model's quotes, and the policy's scans of it
    const scansOf = new Map<ShapeCandidates, Scans>();
    const decideOne = (n: number, switchingNow: number): Decision => {
      const inst = instances[n];
      const baseType = inst.tags[BASE_TYPE_TAG] || inst.instanceType;
      const od = d.tables.onDemand.get(tableKey(inst.region, baseType));
      if (od === undefined) {
        const current: PoolKey = { region: inst.region, az: inst.az, instanceType: inst.instanceType };
        return stay(inst, current, `no on-demand price for ${baseType} in ${inst.region}: cannot price a switch`);
      }
      const pq = quotesFor(inst.modelOverride);
      const shape = shapeOf[n];
      let scans = scansOf.get(shape);
      if (!scans) {
        scans = { joined: new Map(), shared: new Map() };
        scansOf.set(shape, scans);
      }
      const h = history.get(managedIdOf(inst));
      const currentId = poolId({ region: inst.region, az: inst.az, instanceType: inst.instanceType });
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
      // the join of the shape's candidates with this model's quotes, and its scan per lifecycle
      const groupKey = `${inst.modelOverride ?? ""}|${inst.lifecycle}`;
      let shared = scans.shared.get(groupKey);
      if (!shared) {
        let joined = scans.joined.get(inst.modelOverride ?? "");
        if (!joined) {
          joined = [];
          for (const e of shape.entries) {
            const q = pq.quotes.get(e.id);
            if (q) joined.push(q);
          }
          scans.joined.set(inst.modelOverride ?? "", joined);
        }
        shared = { joined };
        scans.shared.set(groupKey, shared);
      }
      const decision = decideFromQuotes(
        {
          instance: inst.managedId ? inst : { ...inst, managedId: managedIdOf(inst) },
          now,
          history: { lastSwitchAt: h?.lastSwitchAt ?? null, switchesPastWeek: h?.switchesLastWeek ?? 0 },
          candidates: shape.pools,
          quotes: pq.quotes,
          onDemandPrice: od,
          fleet: { switchingNow, fleetSize: instances.length },
          config: d.policy,
          model: pq.model,
          evidence,
        },
        undefined,
        shared,
      );
      decision.reasons.push(...pq.reasons);
      // the switch's mode for data volumes, in the advice itself (the recommendation shows its reasons)
      if (inst.dataVolumes && decision.action !== "STAY") decision.reasons.push(inst.dataVolumes);
      return decision;
    };

    // first pass without the budget; then hand the budget out by priority (escapes, largest savings)
    const inFlight = await d.switchingNow();
    const decisions: Decision[] = new Array(instances.length);
    const moving: number[] = [];
    for (let n = 0; n < instances.length; n++) {
      decisions[n] = decideOne(n, inFlight);
      if (decisions[n].action !== "STAY") moving.push(n);
    }
    moving.sort((a, b) => budgetOrder(decisions[a], decisions[b]));
    // In shadow mode nothing executes, so advice takes no share of the budget: every instance's advice is shown
    // (and counted in the digest's missed savings). In approve mode each advice holds the slot of the switch
    // it may become, so no more is advised than the budget lets run at once.
    let switching = inFlight;
    for (const n of mode === "shadow" ? [] : moving) {
      const again = decideOne(n, switching);
      decisions[n] = again;
      if (again.action !== "STAY") switching++;
    }
    // the switch's plan for each new advice, before the decisions are saved: what it cannot carry over is part
    // of the advice (the recommendation shows the decision row), and advice no switch could run is a STAY
    const unswitchable = await planNewAdvice(decisions, pending, d, { plans: this.plans, now });
    const savedIds = await d.decisions.saveTick(now, mode, decisions, {
      pools: pools.length,
      undiscovered: discovery.failures,
    });
    let posted = 0;
    let refreshed = 0;
    let standing = 0;
    const rearm: Array<{ id: string; decisionId: string }> = [];
    const rearmBefore = now + (d.reofferBeforeExpiryMs ?? REOFFER_BEFORE_EXPIRY_MS);
    const counts = new Map<string, number>();
    for (const x of decisions) counts.set(x.action, (counts.get(x.action) ?? 0) + 1);
    for (const [action, n] of counts) d.metrics.decisions.inc({ action }, n);
    for (let i = 0; i < decisions.length; i++) {
      const x = decisions[i];
      if (x.action !== "SWITCH" || !x.to) continue;
      // an advice standing unchanged whose message is up and far from expiry: nothing to refresh at this tick
      const rec = pending.get(managedIdOf(x));
      if (rec && rec.expiresAt > now && this.stillPosted(rec, x, savedIds[i], mode)) {
        // unchanged and up: far from expiry it stands as it is, near it only its expiry is re-armed (in bulk)
        if (rec.expiresAt <= rearmBefore) rearm.push({ id: rec.id, decisionId: rec.decisionId });
        else standing++;
        continue;
      }
      // one living message per instance: the same advice refreshes it in place, a changed one posts anew
      const r = await d.publisher.publish({ decision: x, decisionId: savedIds[i], mode });
      if (r.kind === "created") posted++;
      else if (r.kind === "refreshed") refreshed++;
    }
    const rearmed = await d.recommendations.rearm(rearm);
    this.last = { decisions, ids: savedIds };
    return {
      mode,
      instances: instances.length,
      pools: pools.length,
      switch: counts.get("SWITCH") ?? 0,
      stay: counts.get("STAY") ?? 0,
      ondemand: counts.get("ONDEMAND") ?? 0,
      recommendations: posted,
      refreshed,
      rearmed,
      standing,
      unswitchable,
      model: scores.fallback ? "advisor-heuristic" : (scores.champion?.name ?? null),
      failures: discovery.failures.length,
    };
  }
}

/** A shape's join with each model's quotes and the policy's scans of it, for one tick. */
interface Scans {
  /** Joined candidates per model override ("" = the champion). */
  joined: Map<string, CandidateQuote[]>;
  /** The policy's shared scan per model override and lifecycle. */
  shared: Map<string, SharedCandidates>;
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

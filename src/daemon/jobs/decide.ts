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
import type { ChampionChallenger } from "../../core/models/champion-challenger.js";
import { budgetOrder, type CompatibleTypes } from "../../core/policy/index.js";
import type { Ec2Factory } from "../../core/ports/ec2.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import type { RecommendationPublisher } from "../../core/recommendations/publisher.js";
import { REPOST_SAVING_SHARE, type RecommendationService, sameAdvice } from "../../core/recommendations/service.js";
import type { StandingAdvice } from "../../core/recommendations/types.js";
import type { AccountRef, Decision, Mode, PoolKey } from "../../core/types.js";
import type { Job } from "../job.js";
import { DecideInputs } from "./decide-inputs.js";
import { TickDecider } from "./decide-one.js";
import { type AdvicePlan, NOT_CARRIED, PlanMemo, planNewAdvice } from "./decide-plan.js";
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
  recommendations: Pick<RecommendationService, "standing" | "rearm">;
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

  /**
   * Pending recommendations by managed instance (one read for the tick; at most one per managed instance); never
   * rejects before it is awaited.
   */
  private pendingAdvice(): Promise<Map<string, StandingAdvice>> {
    const read = this.d.recommendations
      .standing(NOT_CARRIED)
      .then((recs) => new Map(recs.map((r) => [r.managedId, r])));
    read.catch(() => {});
    return read;
  }

  /**
   * Whether re-offering `x` would change nothing a reader sees: its pending recommendation stands on the very
   * decision row `x` stands in (the advice did not change), in this mode, its message is posted and its saving is
   * within the repost share. Such advice only needs its expiry re-armed once it comes within
   * REOFFER_BEFORE_EXPIRY_MS (what offer() would do, without touching the message).
   */
  private stillPosted(rec: StandingAdvice, x: Decision, decisionId: string, mode: Mode): boolean {
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
    const laps = new Laps();
    // the pool listing and the market read of the last tick's pools run while EC2 is listed
    const listed = this.inputs.listAhead(
      d.market,
      d.accounts.flatMap((a) => a.regions),
    );
    const ahead = this.inputs.readAhead(d.market, now);
    const advice = this.pendingAdvice();
    const discovery = await discoverFleet(d.accounts, d.ec2, d.fleet, now);
    const failedAccounts = new Set(discovery.failures.map((f) => f.accountId));
    for (const f of discovery.failures) {
      d.log.warn({ account: f.accountId, region: f.region, error: f.error }, "fleet discovery failed");
      await d.health.fail(`aws:${f.accountId}`, `${f.region}: ${f.error}`);
    }
    for (const a of d.accounts) if (!failedAccounts.has(a.accountId)) await d.health.ok(`aws:${a.accountId}`);
    const instances = discovery.instances;
    laps.lap("discover");
    // safe point: the slow part (EC2 discovery) is done and nothing has been decided or published yet
    signal?.throwIfAborted();
    if (instances.length === 0) {
      // no instance decided: the decisions standing for instances now gone end (those of undiscovered regions stay)
      await d.decisions.saveTick(now, mode, [], { undiscovered: discovery.failures });
      this.last = { decisions: [], ids: [] };
      return { instances: 0, failures: discovery.failures.length };
    }

    // the lineages' history is read while the candidates are worked out (it needs only the fleet); never rejects
    // before it is awaited
    const history = d.decisions.history([...new Set(instances.map(managedIdOf))], now);
    history.catch(() => {});
    // every pool in play: the current pools and the candidates of every instance. Instances alike in what
    // candidates depend on share one candidate list (fleets are many of a kind), and alike also in lifecycle and
    // model share the policy's scan of those candidates (SharedCandidates)
    const shapeOf = await this.inputs.candidates(d.market, instances, (a) => this.subnetAzs(a), listed);
    const inPlay = new Map<string, PoolKey>();
    for (const shape of new Set(shapeOf.map((s) => s.candidates)))
      for (const e of shape.entries) inPlay.set(e.id, e.pool);
    const pools = [...inPlay.values()];
    const ids = [...inPlay.keys()];
    // the market, the lineages' history and the standing advice, read at once
    const [series, lineages, pending] = await Promise.all([
      this.inputs.series(d.market, ids, now, ahead),
      history,
      advice,
    ]);
    const features = buildFeatureMatrix({
      now,
      pools,
      prices: series.prices,
      capacity: series.capacity,
      onDemand: d.tables.onDemand,
      advisor: d.tables.advisor,
    });
    laps.lap("inputs");
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

    const decider = new TickDecider({
      now,
      instances,
      slots: shapeOf,
      capacity: series.capacity,
      history: lineages,
      quotesFor,
      tables: d.tables,
      policy: d.policy,
      risk: d.risk,
    });

    laps.lap("score");
    // first pass without the budget; then hand the budget out by priority (escapes, largest savings)
    const inFlight = await d.switchingNow();
    const decisions: Decision[] = new Array(instances.length);
    const moving: number[] = [];
    for (let n = 0; n < instances.length; n++) {
      decisions[n] = decider.decide(n, inFlight);
      if (decisions[n].action !== "STAY") moving.push(n);
    }
    if (mode !== "shadow") moving.sort((a, b) => budgetOrder(decisions[a], decisions[b]));
    // In shadow mode nothing executes, so advice takes no share of the budget: every instance's advice is shown
    // (and counted in the digest's missed savings). In approve mode each advice holds the slot of the switch
    // it may become, so no more is advised than the budget lets run at once.
    let switching = inFlight;
    for (const n of mode === "shadow" ? [] : moving) {
      const again = decider.decide(n, switching);
      decisions[n] = again;
      if (again.action !== "STAY") switching++;
    }
    laps.lap("decide");
    // the switch's plan for each new advice, before the decisions are saved: what it cannot carry over is part
    // of the advice (the recommendation shows the decision row), and advice no switch could run is a STAY
    const unswitchable = await planNewAdvice(decisions, pending, d, { plans: this.plans, now });
    laps.lap("plan");
    const savedIds = await d.decisions.saveTick(now, mode, decisions, {
      pools: pools.length,
      undiscovered: discovery.failures,
    });
    laps.lap("save");
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
    laps.lap("publish");
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
      ms: laps.ms,
    };
  }
}

/** Milliseconds per phase of a tick, in its result (the scheduler logs it): where a slow tick's time went. */
class Laps {
  readonly ms: Record<string, number> = {};
  private at = performance.now();
  lap(phase: string): void {
    const now = performance.now();
    this.ms[phase] = Math.round(now - this.at);
    this.at = now;
  }
}

/**
 * The spotwise policy in the replay: every hour, every instance in fleet order is decided by the daemon's
 * policy (decideOnScan(): decide() on a candidate scan read off a QuoteBoard, the same scan scanCandidates()
 * makes, judged once per pool and hour instead of once per instance and candidate), with the daemon's inputs:
 * the risk of the injected RiskScorer (the advisor prior) updated, unless `advisorOnly`, with the capacity
 * observations the replay itself produces (a launch into a pool at each switch) exactly as the daemon does
 * (poolHourlyRisk), the same escape evidence (escapeEvidence), the model's launch-failure veto on the pools it
 * launched into when a model is injected (launch.ts), the time of each pool's newest record (stale pools are no
 * candidates), and each pool's recent exponentially weighted mean prices (half-lives `priceHalfLifeHours` and
 * `stayLevelHalfLifeHours`, on the hourly grid). Switches of the same hour count against the fleet disruption
 * budget (a switch completes within the hour); as the daemon should (budgetOrder), the budget goes to escapes
 * first, then to the largest savings.
 */
import type { AdvisorTable } from "../market/tables.js";
import { tableKey } from "../market/tables.js";
import { QuoteBoard } from "../policy/board.js";
import type { CandidateScan } from "../policy/context.js";
import { hourlyEwma } from "../policy/outlook.js";
import { budgetOrder, decideOnScan } from "../policy/policy.js";
import { escapeEvidence, poolHourlyRisk } from "../policy/risk.js";
import type { PolicySettings } from "../policy/settings.js";
import type { CandidateQuote, FleetState, InstanceHistory, PolicyInput, PoolQuote } from "../policy/types.js";
import type { CapacityPoint, Decision, ManagedInstance } from "../types.js";
import { poolId } from "../types.js";
import type { BacktestPolicy } from "./baselines.js";
import { HOUR_MS, type PriceGrid } from "./grid.js";
import { type LaunchModelInput, LaunchScorer, type LaunchStats } from "./launch.js";
import { ON_DEMAND, type Schedule } from "./model.js";
import type { RiskScorer } from "./risk.js";

const WEEK_MS = 7 * 24 * HOUR_MS;

export interface SpotwiseRun {
  /** Decisions per strategy that fired, for the report. */
  strategies: Map<string, number>;
  /** What the model's launch-failure veto did (absent when no model was given or risk is advisor-only). */
  launch?: LaunchStats;
}

/** Every pool's hourly exponentially weighted mean price, laid out like grid.price; the warm-up hours feed it. */
export function gridEwma(grid: PriceGrid, halfLifeHours: number): Float64Array {
  const { hours, warmupHours } = grid;
  const out = new Float64Array(grid.price.length);
  const series = new Float64Array(warmupHours + hours);
  const means = new Float64Array(warmupHours + hours);
  for (let p = 0; p < grid.pools.length; p++) {
    series.set(grid.warmupPrice.subarray(p * warmupHours, (p + 1) * warmupHours), 0);
    series.set(grid.price.subarray(p * hours, (p + 1) * hours), warmupHours);
    hourlyEwma(series, halfLifeHours, means);
    out.set(means.subarray(warmupHours), p * hours);
  }
  return out;
}

export interface SpotwiseOptions {
  /** Advisor table: the prior of pools the replay observed (poolHourlyRisk); absent = advisor-only. */
  advisor?: AdvisorTable;
  /** `--risk advisor`: the scorer's risk alone, no observations (the charge of issue 5). */
  advisorOnly?: boolean;
  /**
   * The daemon's model for P(launch finds no capacity), scoring the observed pools at each hour (launch.ts);
   * targets above `maxLaunchFailure` are vetoed as in the daemon. Ignored with `advisorOnly` (no observations).
   */
  launch?: LaunchModelInput;
}

export function spotwisePolicy(
  settings: PolicySettings,
  scorer: RiskScorer,
  stats?: SpotwiseRun,
  opts: SpotwiseOptions = {},
): BacktestPolicy {
  return {
    name: "spotwise",
    async run(ctx) {
      const { grid, instances } = ctx;
      const { price, hours } = grid;
      const { risk, confidence } = await scorer.score(grid);
      const mean = gridEwma(grid, settings.priceHalfLifeHours);
      const slow = settings.stayLevelHalfLifeHours > 0 ? gridEwma(grid, settings.stayLevelHalfLifeHours) : null;
      const observe = !opts.advisorOnly && opts.advisor !== undefined;
      // capacity observations the replay produces: a launch that worked at every switch into a spot pool
      const observed = new Map<number, CapacityPoint[]>();
      const buckets = grid.pools.map((pk) => opts.advisor?.get(tableKey(pk.region, pk.instanceType))?.bucket);
      const bucketOf = (p: number): number | undefined => buckets[p];
      // each observed pool's risk now and an hour before, made once per pool and hour (fill()) for the quotes and
      // every instance's escape evidence
      const observedRisk = new Map<number, { at: number; now: number; before: number }>();
      const launch =
        observe && opts.launch
          ? new LaunchScorer(opts.launch, grid, new Set(instances.flatMap((i) => [i.startPool, ...i.candidates])))
          : null;
      if (launch && stats) stats.launch = launch.stats;
      let launchFailure = new Map<number, number>();
      const fill = (q: PoolQuote, p: number, h: number, now: number): void => {
        const at = p * hours + h;
        q.price = price[at];
        q.priceTs = grid.recordTs ? grid.recordTs[at] : undefined;
        q.recentMean = mean[at];
        q.slowMean = slow ? slow[at] : undefined;
        const obs = observe ? observed.get(p) : undefined;
        if (obs) {
          let r = observedRisk.get(p);
          if (!r || r.at !== now) {
            r = {
              at: now,
              now: poolHourlyRisk(bucketOf(p), obs, now).risk,
              before: poolHourlyRisk(bucketOf(p), obs, now - HOUR_MS).risk,
            };
            observedRisk.set(p, r);
          }
          q.risk = r.now;
          q.riskSource = "observed";
          q.launchFailure = launchFailure.get(p) ?? null;
        } else {
          q.risk = risk[at];
          q.riskSource = "advisor";
          q.launchFailure = null;
        }
        q.confidence = confidence ? confidence[at] : null;
      };
      // one quote per pool, filled once an hour and shared by every instance that has the pool as a candidate
      // or runs in it (a quote depends on the pool and the hour only; decide() never changes its input); made
      // with every field fill() sets, so that all have one shape
      const quotes: Array<CandidateQuote | undefined> = new Array(grid.pools.length).fill(undefined);
      const quoteOf = (p: number): CandidateQuote => {
        let q = quotes[p];
        if (!q) {
          q = {
            pool: grid.pools[p],
            id: grid.ids[p],
            price: Number.NaN,
            priceTs: undefined,
            recentMean: undefined,
            slowMean: undefined,
            risk: Number.NaN,
            riskSource: "advisor",
            launchFailure: null,
            confidence: null,
          };
          quotes[p] = q;
        }
        return q;
      };
      for (const inst of instances) {
        quoteOf(inst.startPool);
        for (const p of inst.candidates) quoteOf(p);
      }
      const inUse: number[] = [];
      quotes.forEach((q, p) => {
        if (q) inUse.push(p);
      });
      // the quotes judged once an hour, and every instance's candidates scanned off them (the daemon's scan)
      const board = new QuoteBoard(quotes, settings);
      const states = instances.map((inst) => {
        const instance: ManagedInstance = {
          instanceId: inst.instanceId,
          accountId: "backtest",
          region: inst.region,
          az: inst.az,
          instanceType: inst.instanceType,
          lifecycle: "spot",
          azFlexible: inst.azFlexible !== false,
          tags: {},
        };
        const quotes: CandidateQuote[] = Array.from(inst.candidates, quoteOf);
        const history: InstanceHistory = { lastSwitchAt: null, switchesPastWeek: 0 };
        const fleet: FleetState = { switchingNow: 0, fleetSize: instances.length };
        const input: PolicyInput = {
          instance,
          now: 0,
          history,
          current: quoteOf(inst.startPool),
          candidates: quotes,
          onDemandPrice: inst.odPrice,
          fleet,
          config: settings,
          model: scorer.model,
        };
        return {
          inst,
          input,
          history,
          fleet,
          quotes,
          cur: inst.startPool,
          switchTimes: [] as number[],
          poolSince: null as number | null,
        };
      });
      const choices = instances.map(() => new Int32Array(hours));
      const apply = (s: (typeof states)[number], d: Decision, now: number): boolean => {
        if (stats) stats.strategies.set(d.strategy, (stats.strategies.get(d.strategy) ?? 0) + 1);
        let next = s.cur;
        if (d.action === "SWITCH" && d.to) next = grid.index.get(poolId(d.to)) ?? s.cur;
        else if (d.action === "ONDEMAND") next = ON_DEMAND;
        if (next === s.cur) return false;
        s.switchTimes.push(now);
        s.poolSince = now;
        s.cur = next;
        if (next !== ON_DEMAND) {
          const list = observed.get(next) ?? [];
          list.push({ ts: now, available: 1 });
          observed.set(next, list);
        }
        s.input.instance =
          next === ON_DEMAND
            ? { ...s.input.instance, lifecycle: "on-demand" }
            : {
                ...s.input.instance,
                lifecycle: "spot",
                az: grid.pools[next].az,
                instanceType: grid.pools[next].instanceType,
              };
        return true;
      };
      for (let h = 0; h < hours; h++) {
        const now = grid.start + h * HOUR_MS;
        // pass 1: every instance decides as if nobody else were switching
        const wanting: { i: number; d: Decision; scan: CandidateScan }[] = [];
        if (launch) launchFailure = await launch.score(now, observed);
        for (const p of inUse) fill(quotes[p]!, p, h, now);
        board.judge(now);
        for (let i = 0; i < states.length; i++) {
          const s = states[i];
          const { input, inst } = s;
          if (launch) {
            for (let k = 0; k < s.quotes.length; k++) {
              const lf = s.quotes[k].launchFailure;
              if (lf != null && lf > settings.maxLaunchFailure && inst.candidates[k] !== s.cur) launch.stats.vetoed++;
            }
          }
          while (s.switchTimes.length > 0 && s.switchTimes[0] <= now - WEEK_MS) s.switchTimes.shift();
          input.now = now;
          input.current = s.cur === ON_DEMAND ? null : quoteOf(s.cur);
          // the instance's own history and fleet objects, set in place (decide() keeps nothing of its input)
          s.history.lastSwitchAt = s.switchTimes.length > 0 ? s.switchTimes[s.switchTimes.length - 1] : null;
          s.history.switchesPastWeek = s.switchTimes.length;
          s.fleet.switchingNow = 0;
          input.evidence =
            s.cur === ON_DEMAND || !observe || !observed.has(s.cur)
              ? null
              : escapeEvidence({
                  poolId: grid.ids[s.cur],
                  capacity: observed.get(s.cur),
                  since: s.poolSince,
                  now,
                  bucket: bucketOf(s.cur),
                  riskCeiling: settings.riskCeiling,
                  // filled in this hour for the pool (fill(): every observed pool an instance runs in)
                  risks: observedRisk.get(s.cur),
                });
          const scan = board.scan(inst.candidates, s.cur === ON_DEMAND ? -1 : s.cur, inst.odPrice);
          const d = decideOnScan(input, scan);
          if (d.action === "STAY") {
            if (stats) stats.strategies.set(d.strategy, (stats.strategies.get(d.strategy) ?? 0) + 1);
          } else wanting.push({ i, d, scan });
        }
        // pass 2: the fleet budget goes to escapes first, then to the largest savings (ties: fleet order)
        wanting.sort((a, b) => budgetOrder(a.d, b.d) || a.i - b.i);
        let switching = 0;
        for (const w of wanting) {
          const s = states[w.i];
          s.fleet.switchingNow = switching;
          const d = switching === 0 ? w.d : decideOnScan(s.input, w.scan);
          if (apply(s, d, now)) switching++;
        }
        for (let i = 0; i < states.length; i++) choices[i][h] = states[i].cur;
      }
      return states.map((s, i): Schedule => ({ initial: s.inst.startPool, choice: choices[i] }));
    },
  };
}

/** Inputs of the SWITCH/STAY policy. Plain data; the daemon and the backtester build them. */
import type { EpochMs, ManagedInstance, PoolKey } from "../types.js";
import type { RiskSource } from "./risk.js";
import type { PolicySettings } from "./settings.js";

/** What is known of a pool now: spot price (USD/h), P(disruption within the hour), model confidence. */
export interface PoolQuote {
  /** Spot price now, USD/h. */
  price: number;
  /**
   * Exponentially weighted mean spot price (half-life `priceHalfLifeHours`, see priceEwma()). The policy judges
   * a target at the higher of its price and (price + meanWeight × the gap to this mean), the current pool at
   * the lower: a move must pay on the recent level too, so a passing dip or spike does not trigger it.
   * Absent or not finite: the price now is used.
   */
  recentMean?: number;
  /**
   * Slower exponentially weighted mean spot price (half-life `stayLevelHalfLifeHours`). Only used for the pool
   * the instance is in: it is judged at price − meanWeight × the gap down to the lower of recentMean and this.
   * Absent or not finite: recentMean alone.
   */
  slowMean?: number;
  /** P(interruption within the next hour) of a running instance in the pool (core/policy/risk.ts). */
  risk: number;
  /** Where `risk` came from (absent = "advisor"). */
  riskSource?: RiskSource;
  /** In [0,1]; null for the advisor-bucket heuristic. */
  confidence: number | null;
  /** Time of the pool's newest price record; older than `maxPriceAgeHours` = stale, not a candidate. */
  priceTs?: EpochMs;
  /**
   * The model's P(a launch into the pool finds no capacity within the hour), when it could score the pool
   * (enough observations, inputs in its training range); absent/null otherwise. A target above
   * `maxLaunchFailure` is vetoed; it is never added to the interruption risk.
   */
  launchFailure?: number | null;
}

export interface CandidateQuote extends PoolQuote {
  pool: PoolKey;
  /** poolId(pool), precomputed. */
  id: string;
}

export interface InstanceHistory {
  /** When the instance last switched (or was launched by a switch); null when unknown or never. */
  lastSwitchAt: EpochMs | null;
  /** Switches of this instance in the 7 days before `now`. */
  switchesPastWeek: number;
}

export interface FleetState {
  /** Instances of the fleet being switched right now (approved and in flight), this one excluded. */
  switchingNow: number;
  fleetSize: number;
}

export interface ModelRef {
  name: string;
  id: string | null;
}

export interface PolicyInput {
  instance: ManagedInstance;
  now: EpochMs;
  history: InstanceHistory;
  /** Quote of the pool the instance runs in now; null when unknown (or the instance runs on-demand). */
  current: PoolQuote | null;
  /** Candidate pools with quotes, sorted by id (candidatePools() order); may include the current pool. */
  candidates: readonly CandidateQuote[];
  /** On-demand price (USD/h) of the instance's base type: prices interruptions, switches and the fallback. */
  onDemandPrice: number;
  fleet: FleetState;
  config: PolicySettings;
  /** The model whose launch-failure probabilities are in the quotes; null when none could score. */
  model: ModelRef | null;
  /**
   * Evidence about the instance or its pool that allows leaving before the dwell time or beyond the weekly cap
   * (escapeEvidence()); null/absent = none: the instance then leaves only when a move pays back and the guards allow it.
   */
  evidence?: string | null;
}

/**
 * The policy settings, as plain data. The zod schema `PolicyConfig` in src/config/schema.ts validates them
 * from the outside; its inferred type is assignable to this interface (settings.test.ts proves it), so the
 * core stays free of zod.
 */
export interface PolicySettings {
  /** Hours the saving is counted over when paying back a switch. */
  horizonHours: number;
  /** A switch must pay back its cost this many times over the horizon (hysteresis). */
  paybackMargin: number;
  /** Interruption cost, in hours of the instance's on-demand price. */
  interruptionCostOdHours: number;
  /** Switch cost, in hours of the instance's on-demand price. */
  switchCostOdHours: number;
  /**
   * P(interruption within the next hour) (core/policy/risk.ts) above which a pool is not a target, and above
   * which, sustained for an hour, an instance may leave its pool before the dwell time or beyond the weekly cap.
   */
  riskCeiling: number;
  /** A pool whose newest price record is older than this (hours) is not a candidate. */
  maxPriceAgeHours: number;
  /** A target whose model P(launch finds no capacity) is above this is vetoed. */
  maxLaunchFailure: number;
  minHoursInPool: number;
  maxSwitchesPerWeek: number;
  /** Share of the fleet allowed to be switching at once. */
  fleetDisruptionBudget: number;
  minSavingPct: number;
  minSavingUsdMonth: number;
  maxVcpuFactor: number;
  /** Half-life, hours, of the exponentially weighted mean price in each quote's recentMean (see priceEwma()). */
  priceHalfLifeHours: number;
  /**
   * Share (0..1) of the gap between a pool's price now and its recent mean that the policy holds against a
   * move: a target is judged at price + w × (mean − price) when its mean is higher, the current pool at
   * price − w × (price − mean) when its mean is lower. 0 = price now only.
   */
  meanWeight: number;
  /**
   * Half-life, hours, of the slower exponentially weighted mean in each quote's slowMean (0 = off). The pool
   * the instance is in is judged towards the lower of its two means, so a pool that was cheap for a week is not
   * left on a spike of a day or two; targets are judged on the faster mean only (dips into a cheaper level are
   * still followed within a day or two).
   */
  stayLevelHalfLifeHours: number;
  allowFamilies: string[];
  denyFamilies: string[];
}

/** The defaults of PolicyConfig, for tests and the backtester (the config loader is the source of truth). */
export const DEFAULT_POLICY_SETTINGS: Readonly<PolicySettings> = Object.freeze({
  horizonHours: 24 * 14,
  paybackMargin: 1.5,
  interruptionCostOdHours: 2,
  switchCostOdHours: 0.5,
  riskCeiling: 0.005,
  maxPriceAgeHours: 48,
  maxLaunchFailure: 0.9,
  minHoursInPool: 24,
  maxSwitchesPerWeek: 2,
  fleetDisruptionBudget: 0.1,
  minSavingPct: 2,
  minSavingUsdMonth: 3,
  maxVcpuFactor: 2,
  priceHalfLifeHours: 48,
  meanWeight: 0.75,
  stayLevelHalfLifeHours: 168,
  allowFamilies: [],
  denyFamilies: [],
});

export const HOURS_PER_MONTH = 730;

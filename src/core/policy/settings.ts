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
  /** Leave a pool whose disruption probability per hour is above this. */
  riskCeiling: number;
  minHoursInPool: number;
  maxSwitchesPerWeek: number;
  /** Share of the fleet allowed to be switching at once. */
  fleetDisruptionBudget: number;
  minSavingPct: number;
  minSavingUsdMonth: number;
  maxVcpuFactor: number;
  /** Hours of price history averaged into a quote's recentMean (by the daemon and the backtester). */
  outlookHours: number;
  allowFamilies: string[];
  denyFamilies: string[];
}

/** The defaults of PolicyConfig, for tests and the backtester (the config loader is the source of truth). */
export const DEFAULT_POLICY_SETTINGS: Readonly<PolicySettings> = Object.freeze({
  horizonHours: 24 * 14,
  paybackMargin: 1.5,
  interruptionCostOdHours: 2,
  switchCostOdHours: 0.5,
  riskCeiling: 0.5,
  minHoursInPool: 24,
  maxSwitchesPerWeek: 2,
  fleetDisruptionBudget: 0.1,
  minSavingPct: 2,
  minSavingUsdMonth: 1,
  maxVcpuFactor: 2,
  outlookHours: 24 * 7,
  allowFamilies: [],
  denyFamilies: [],
});

export const HOURS_PER_MONTH = 730;

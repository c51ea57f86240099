/**
 * The feature contract: names, order and units of the model input. A model declares the version and the
 * names in its ONNX metadata_props (`spotwise.feature_contract`, `spotwise.feature_names`), and is refused
 * when they differ. Missing values are NaN (float32). docs/features.md has the exact definitions; the
 * Python trainer (training/features.py) implements the same ones and a parity test proves it.
 *
 * Series semantics, shared by every feature: a point holds from its timestamp until the next point of the
 * same pool (AWS spot price semantics); before the first point the value is unknown. Time-weighted
 * statistics over a window [t - W, t] use only the part of the window where the value is known; with no
 * known part they are NaN.
 */
export const FEATURE_CONTRACT_VERSION = "spotwise-features/1";

export const FEATURE_NAMES = [
  "price_od_ratio", // spot price now / on-demand price of the type (NaN without an on-demand price)
  "price_changes_1h", // count of records in (t-1h, t] whose price differs from the previous record
  "price_changes_24h",
  "price_changes_7d",
  "price_cv_24h", // time-weighted std / time-weighted mean of the price over [t-24h, t]
  "price_cv_7d",
  "price_trend_24h", // price now / time-weighted mean over [t-24h, t]
  "hours_since_price_change", // hours since the last record whose price differs from its predecessor (capped 720; the first record counts as a change)
  "price_vs_cheapest_az", // price now / min price now of the same type over the AZs of the region (>= 1)
  "price_rank_az", // 0-based rank of price now among the AZs of the same type (ties share the lower rank)
  "price_vs_cheapest_compatible", // price now / min price now over the compatible pools given by the caller (>= 1)
  "advisor_bucket", // 0..4 for <5%, 5-10%, 10-15%, 15-20%, >20%
  "advisor_savings_pct", // 0..100
  "placement_score", // 1..10
  "cap_available_now", // capacity observation in effect at t: 1 or 0
  "cap_unavail_frac_1h", // time-weighted fraction of [t-W, t] with available = 0
  "cap_unavail_frac_6h",
  "cap_unavail_frac_24h",
  "cap_unavail_frac_7d",
  "hours_since_capacity_loss", // hours since the start of the last available=0 run (0 when unavailable now; 720 cap, also when history shows no loss)
  "cap_available_run_hours", // hours since the current available=1 run began (0 when unavailable now; capped 720)
  "cap_unavailable_run_hours", // hours since the current available=0 run began (0 when available now; capped 720)
  "cap_loss_events_24h", // transitions 1 -> 0 at points in (t-24h, t] (a first point of 0 counts as one)
  "hour_of_week", // 0..167, UTC, Monday 00:00 = 0
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;
export const HOURS_CAP = 720;

export function featureIndex(name: FeatureName): number {
  return FEATURE_NAMES.indexOf(name);
}

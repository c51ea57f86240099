/**
 * Golden feature vectors every model must turn into finite probabilities in [0,1]: missing everything,
 * all zeros, a calm pool, a pool that just lost capacity, extreme values. Row-major float32 [rows, FEATURE_COUNT].
 */
import { FEATURE_COUNT, type FeatureName, featureIndex } from "../features/contract.js";

type Row = Partial<Record<FeatureName, number>>;

const calm: Row = {
  price_od_ratio: 0.3,
  price_changes_1h: 0,
  price_changes_24h: 1,
  price_changes_7d: 4,
  price_cv_24h: 0.01,
  price_cv_7d: 0.03,
  price_trend_24h: 1,
  hours_since_price_change: 20,
  price_vs_cheapest_az: 1,
  price_rank_az: 0,
  price_vs_cheapest_compatible: 1.1,
  advisor_bucket: 0,
  advisor_savings_pct: 70,
  placement_score: 9,
  cap_available_now: 1,
  cap_unavail_frac_1h: 0,
  cap_unavail_frac_6h: 0,
  cap_unavail_frac_24h: 0,
  cap_unavail_frac_7d: 0,
  hours_since_capacity_loss: 720,
  cap_available_run_hours: 720,
  cap_unavailable_run_hours: 0,
  cap_loss_events_24h: 0,
  hour_of_week: 40,
};

const stormy: Row = {
  ...calm,
  advisor_bucket: 4,
  advisor_savings_pct: 20,
  placement_score: 1,
  price_trend_24h: 2.5,
  cap_available_now: 0,
  cap_unavail_frac_1h: 1,
  cap_unavail_frac_6h: 0.7,
  cap_unavail_frac_24h: 0.4,
  cap_unavail_frac_7d: 0.3,
  hours_since_capacity_loss: 0,
  cap_available_run_hours: 0,
  cap_unavailable_run_hours: 0.5,
  cap_loss_events_24h: 6,
};

const capacityOnly: Row = {
  cap_available_now: 1,
  cap_unavail_frac_1h: 0.2,
  cap_unavail_frac_6h: 0.1,
  cap_unavail_frac_24h: 0.05,
  cap_unavail_frac_7d: 0.05,
  hours_since_capacity_loss: 1.5,
  cap_available_run_hours: 0.4,
  cap_unavailable_run_hours: 0,
  cap_loss_events_24h: 2,
};

const extreme: Row = Object.fromEntries(Object.keys(calm).map((k) => [k, k === "hour_of_week" ? 167 : 1e6])) as Row;

export const GOLDEN_ROWS: readonly { label: string; row: Row | "nan" | "zeros" }[] = [
  { label: "all features missing", row: "nan" },
  { label: "all zeros", row: "zeros" },
  { label: "calm pool", row: calm },
  { label: "pool that just lost capacity", row: stormy },
  { label: "capacity features only", row: capacityOnly },
  { label: "extreme values", row: extreme },
];

export function goldenMatrix(): { features: Float32Array; rows: number; cols: number } {
  const cols = FEATURE_COUNT;
  const features = new Float32Array(GOLDEN_ROWS.length * cols).fill(Number.NaN);
  GOLDEN_ROWS.forEach(({ row }, i) => {
    if (row === "nan") return;
    if (row === "zeros") {
      features.fill(0, i * cols, (i + 1) * cols);
      return;
    }
    for (const [name, v] of Object.entries(row)) features[i * cols + featureIndex(name as FeatureName)] = v;
  });
  return { features, rows: GOLDEN_ROWS.length, cols };
}

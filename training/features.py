"""
Capacity features of the spotwise feature contract (spotwise-features/1), the same definitions as
src/core/features/contract.ts and the TypeScript engine (src/core/features/capacity.ts). A parity test
(src/core/models/feature-parity.test.ts) proves both agree on training/fixtures/capacity-parity.json.

Series semantics: a point holds from its timestamp until the next point; before the first point the
value is unknown. Time-weighted fractions over [t - W, t] use only the known part; with none, NaN.
Times are epoch milliseconds (float64); features are computed at given evaluation times `now`.
"""
import json
import math

import numpy as np

FEATURE_CONTRACT_VERSION = "spotwise-features/1"
FEATURE_NAMES = [
    "price_od_ratio", "price_changes_1h", "price_changes_24h", "price_changes_7d", "price_cv_24h",
    "price_cv_7d", "price_trend_24h", "hours_since_price_change", "price_vs_cheapest_az", "price_rank_az",
    "price_vs_cheapest_compatible", "advisor_bucket", "advisor_savings_pct", "placement_score",
    "cap_available_now", "cap_unavail_frac_1h", "cap_unavail_frac_6h", "cap_unavail_frac_24h",
    "cap_unavail_frac_7d", "hours_since_capacity_loss", "cap_available_run_hours",
    "cap_unavailable_run_hours", "cap_loss_events_24h", "hour_of_week",
]
CAPACITY_FEATURES = FEATURE_NAMES[14:23]
HOUR_MS = 3_600_000.0
HOURS_CAP = 720.0
FRAC_WINDOWS_H = {"cap_unavail_frac_1h": 1, "cap_unavail_frac_6h": 6, "cap_unavail_frac_24h": 24, "cap_unavail_frac_7d": 168}


def capacity_features(ts, avail, now):
    """Capacity features for one pool. ts: sorted point times (ms), avail: 0/1 per point, now: evaluation
    times (ms). Only points with ts <= now count. Returns a dict name -> float64 array (len(now))."""
    ts = np.asarray(ts, dtype=np.float64)
    av = np.asarray(avail, dtype=np.int64)
    now = np.asarray(now, dtype=np.float64)
    n = len(now)
    out = {name: np.full(n, np.nan) for name in CAPACITY_FEATURES}
    if len(ts) == 0:
        return out
    # k: index of the point in effect at `now` (-1: before the first point)
    k = np.searchsorted(ts, now, side="right") - 1
    has = k >= 0
    kk = np.where(has, k, 0)
    cur = av[kk]
    out["cap_available_now"] = np.where(has, cur.astype(np.float64), np.nan)

    # U(x): unavailable time in [ts[0], x]; piecewise linear over the points
    down = (1 - av).astype(np.float64)
    seg = np.diff(ts) * down[:-1]
    cum = np.concatenate([[0.0], np.cumsum(seg)])

    def unavail_until(x):
        j = np.searchsorted(ts, x, side="right") - 1
        j = np.clip(j, 0, len(ts) - 1)
        return cum[j] + (x - ts[j]) * down[j]

    for name, hours in FRAC_WINDOWS_H.items():
        start = np.maximum(now - hours * HOUR_MS, ts[0])
        known = now - start
        u = unavail_until(now) - unavail_until(start)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(known > 0, u / np.where(known > 0, known, 1.0), np.nan)
        out[name] = np.where(has, frac, np.nan)

    # run starts: index of the first point of the run each point belongs to (a run = same value)
    change = np.concatenate([[True], av[1:] != av[:-1]])
    run_start_idx = np.maximum.accumulate(np.where(change, np.arange(len(ts)), 0))
    run_hours = np.minimum((now - ts[run_start_idx[kk]]) / HOUR_MS, HOURS_CAP)
    out["cap_available_run_hours"] = np.where(has, np.where(cur == 1, run_hours, 0.0), np.nan)
    out["cap_unavailable_run_hours"] = np.where(has, np.where(cur == 0, run_hours, 0.0), np.nan)

    # start of the last 0-run at or before each point (-1: none yet)
    loss_start = change & (av == 0)
    last_loss_start = np.maximum.accumulate(np.where(loss_start, np.arange(len(ts)), -1))
    lls = last_loss_start[kk]
    since_loss = np.where(lls >= 0, np.minimum((now - ts[np.maximum(lls, 0)]) / HOUR_MS, HOURS_CAP), HOURS_CAP)
    out["hours_since_capacity_loss"] = np.where(has, np.where(cur == 0, 0.0, since_loss), np.nan)

    # 1 -> 0 transitions at points in (now - 24h, now]; a first point of 0 counts as one
    loss_cum = np.cumsum(loss_start.astype(np.int64))
    lo = np.searchsorted(ts, now - 24 * HOUR_MS, side="right") - 1  # last point at or before now-24h
    before = np.where(lo >= 0, loss_cum[np.maximum(lo, 0)], 0)
    out["cap_loss_events_24h"] = np.where(has, (loss_cum[kk] - before).astype(np.float64), np.nan)
    return out


def feature_matrix(ts, avail, now):
    """float64 [len(now), 24] in contract order: capacity features filled, everything else NaN."""
    feats = capacity_features(ts, avail, now)
    m = np.full((len(np.asarray(now)), len(FEATURE_NAMES)), np.nan)
    for name in CAPACITY_FEATURES:
        m[:, FEATURE_NAMES.index(name)] = feats[name]
    return m


def main():
    """Parity helper: reads {"series": [{"points": [[ts, avail], ...], "now": [...]}]} JSON on stdin,
    writes {"results": [{name: [values]}]} with NaN as null."""
    import sys

    spec = json.load(sys.stdin)
    results = []
    for s in spec["series"]:
        pts = s["points"]
        feats = capacity_features([p[0] for p in pts], [p[1] for p in pts], s["now"])
        results.append({k: [None if math.isnan(v) else float(v) for v in vals] for k, vals in feats.items()})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()

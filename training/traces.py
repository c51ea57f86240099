"""
Reads capacity traces in the format of ../shared/data/aux/spot-traces.csv (columns kind,nodes,trace_set,zone,
resource,gap_seconds,tick,offset_seconds,value) and builds the rows the model learns from: the 1-node traces,
value 0 = no capacity at that tick. The trace file has no licence: it is read at train time, never copied.
Same semantics as src/core/models/traces.ts (risk-eval).
"""
import csv
from collections import defaultdict

import numpy as np

from features import HOUR_MS, feature_matrix

HORIZON_MS = HOUR_MS


def load_traces(path):
    """{trace key: (ts_ms float64 array, avail int array)} for the 1-node traces, sorted by tick."""
    series = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["nodes"] != "1-node":
                continue
            key = f'{row["kind"]}|{row["trace_set"]}|{row["zone"]}|{row["resource"]}'
            series[key].append((float(row["offset_seconds"]) * 1000.0, 1 if float(row["value"]) > 0 else 0))
    out = {}
    for key, pts in sorted(series.items()):
        pts.sort()
        out[key] = (np.array([p[0] for p in pts]), np.array([p[1] for p in pts], dtype=np.int64))
    return out


def labels(ts, av):
    """1 when any tick in (t, t + 1h] has value 0; -1 when the next hour is not fully observed."""
    zeros = np.cumsum((av == 0).astype(np.int64))
    hi = np.searchsorted(ts, ts + HORIZON_MS, side="right") - 1
    idx = np.arange(len(ts))
    lab = (zeros[hi] - zeros[idx] > 0).astype(np.int64)
    return np.where(ts + HORIZON_MS <= ts[-1], lab, -1)


def window_zero_counts(ts, av, hours):
    """(ticks with value 0, ticks) in (t - W, t] for every tick t."""
    zeros = np.cumsum((av == 0).astype(np.int64))
    lo = np.searchsorted(ts, ts - hours * HOUR_MS, side="right") - 1
    idx = np.arange(len(ts))
    z = zeros[idx] - np.where(lo >= 0, zeros[np.maximum(lo, 0)], 0)
    n = idx - lo
    return z, n


def baselines(ts, av):
    """The two baselines of the issue, as probabilities per tick."""
    z1, _ = window_zero_counts(ts, av, 1)
    z6, n6 = window_zero_counts(ts, av, 6)
    return {
        "capacity_lost_last_hour": (z1 > 0).astype(np.float64),
        "frac_capacity_lost_6h": z6 / n6,
    }


def trace_rows(ts, av):
    """(features [n,24], labels [n], baselines {name: [n]}) for every tick with a fully observed label."""
    x = feature_matrix(ts, av, ts)
    y = labels(ts, av)
    b = baselines(ts, av)
    keep = y >= 0
    return x[keep], y[keep], {k: v[keep] for k, v in b.items()}, ts[keep]

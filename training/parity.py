"""
Parity helper for src/core/models/feature-parity.test.ts: reads {"series": [{"points": [[ts_ms, avail], ...],
"now": [ts_ms, ...]}]} on stdin and writes, per series, the capacity features at each `now` (NaN as null), plus
the trace labels and baselines at each point. Used only by tests.
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from features import capacity_features  # noqa: E402
from traces import baselines, labels  # noqa: E402


def clean(values):
    return [None if math.isnan(v) else float(v) for v in values]


def main():
    spec = json.load(sys.stdin)
    out = []
    for s in spec["series"]:
        ts = np.array([p[0] for p in s["points"]], dtype=np.float64)
        av = np.array([p[1] for p in s["points"]], dtype=np.int64)
        feats = capacity_features(ts, av, s["now"])
        b = baselines(ts, av)
        out.append({
            "features": {k: clean(v) for k, v in feats.items()},
            "labels": [int(v) for v in labels(ts, av)],
            "baselines": {k: clean(v) for k, v in b.items()},
        })
    json.dump({"results": out}, sys.stdout)


if __name__ == "__main__":
    main()

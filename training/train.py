"""
Trains the default spotwise capacity-risk model: P(capacity lost at any tick within the next hour) from the
capacity features of the contract, on the 1-node traces of spot-traces.csv, split in time per trace.

  /usr/bin/python3 training/train.py --traces ../shared/data/aux/spot-traces.csv --out models

Writes <out>/default.onnx, <out>/default.card.md and <out>/default.holdout.json (held-out feature rows with the
trainer's probabilities, used by the onnxruntime reproduction test). Deterministic (fixed seed).
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys

import numpy as np
import onnx
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_onnx import build_classifier_model, contract_metadata, training_ranges, tree_ensemble_attrs  # noqa: E402
from features import FEATURE_NAMES, HOUR_MS  # noqa: E402
from metrics import all_metrics  # noqa: E402
from traces import load_traces, trace_rows  # noqa: E402

TRAIN_FRACTION = 0.7
# the default model is a tree ensemble: beyond its training ranges it is constant (the boundary leaf), so rows
# outside are scored by it and counted; a model that extrapolates badly would declare "fallback"
OUT_OF_RANGE = "score"
PARAMS = dict(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=200, l2_regularization=1.0,
              early_stopping=False, random_state=7)


def split_rows(traces):
    parts = {"train": [], "valid": []}
    summary = []
    for key, (ts, av) in traces.items():
        x, y, b, t = trace_rows(ts, av)
        cut = ts[0] + TRAIN_FRACTION * (ts[-1] - ts[0])
        # purge: a training row's label window must end before the validation period starts
        tr = t + HOUR_MS <= cut
        va = t >= cut
        parts["train"].append((x[tr], y[tr], {k: v[tr] for k, v in b.items()}))
        parts["valid"].append((x[va], y[va], {k: v[va] for k, v in b.items()}))
        summary.append({"trace": key, "ticks": int(len(ts)), "gap_s": float((ts[1] - ts[0]) / 1000),
                        "train_rows": int(tr.sum()), "valid_rows": int(va.sum())})
    out = {}
    for name, rows in parts.items():
        out[name] = (
            np.concatenate([r[0] for r in rows]).astype(np.float32),
            np.concatenate([r[1] for r in rows]),
            {k: np.concatenate([r[2][k] for r in rows]) for k in rows[0][2]},
        )
    return out, summary


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def code_commit():
    """The commit of the training code, "-dirty" when training/ has uncommitted changes, "unknown" outside git."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here, capture_output=True, text=True,
                               check=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--traces", required=True)
    ap.add_argument("--out", default="models")
    ap.add_argument("--max-iter", type=int, default=PARAMS["max_iter"], help="boosting rounds (tests use fewer)")
    args = ap.parse_args()
    params = {**PARAMS, "max_iter": args.max_iter}

    traces = load_traces(args.traces)
    data, summary = split_rows(traces)
    xtr, ytr, _ = data["train"]
    xva, yva, bva = data["valid"]
    model = HistGradientBoostingClassifier(**params)
    model.fit(xtr.astype(np.float64), ytr)
    pva = model.predict_proba(xva.astype(np.float64))[:, 1]
    ptr = model.predict_proba(xtr.astype(np.float64))[:, 1]

    metrics = {"model": all_metrics(yva, pva)}
    for name, p in bva.items():
        metrics[name] = all_metrics(yva, p)
    train_metrics = all_metrics(ytr, ptr)
    # the slice that matters: capacity available now (most "unavailable now" rows are positive)
    avail = xva[:, FEATURE_NAMES.index("cap_available_now")] == 1
    slice_metrics = {"model": all_metrics(yva[avail], pva[avail])}
    for name, p in bva.items():
        slice_metrics[name] = all_metrics(yva[avail], p[avail])
    for m in ("auc", "brier"):
        better = metrics["model"][m] > metrics["capacity_lost_last_hour"][m] if m == "auc" else metrics["model"][m] < metrics["capacity_lost_last_hour"][m]
        better2 = metrics["model"][m] > metrics["frac_capacity_lost_6h"][m] if m == "auc" else metrics["model"][m] < metrics["frac_capacity_lost_6h"][m]
        if not (better and better2):
            print(f"WARNING: model does not beat both baselines on {m}", file=sys.stderr)

    trained_at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    ranges = training_ranges(xtr, FEATURE_NAMES)
    lineage = {
        "training_data_sha256": file_sha256(args.traces),
        "code_commit": code_commit(),
        "libraries": {"python": platform.python_version(), "numpy": np.__version__,
                      "scikit-learn": sklearn.__version__, "onnx": onnx.__version__},
    }
    md = contract_metadata(FEATURE_NAMES, {
        "spotwise.model_name": "default",
        "spotwise.label": "capacity lost (value 0) at any tick within the next hour",
        "spotwise.trained_at": trained_at,
        "spotwise.training_data_sha256": lineage["training_data_sha256"],
        "spotwise.code_commit": lineage["code_commit"],
        "spotwise.libraries": json.dumps(lineage["libraries"], sort_keys=True),
        "spotwise.parameters": json.dumps(params, sort_keys=True),
        "spotwise.split": json.dumps({"per": "trace", "holdout": round(1 - TRAIN_FRACTION, 6), "purge_ms": int(HOUR_MS)}),
        "spotwise.training_ranges": json.dumps(ranges),
        "spotwise.out_of_range": OUT_OF_RANGE,
        "spotwise.validation_metrics": json.dumps({k: {kk: round(vv, 6) for kk, vv in v.items()} for k, v in metrics.items()}),
    })
    onnx_model = build_classifier_model(tree_ensemble_attrs(model), len(FEATURE_NAMES), md)
    os.makedirs(args.out, exist_ok=True)
    onnx.save(onnx_model, os.path.join(args.out, "default.onnx"))

    # held-out rows for the onnxruntime reproduction test: a deterministic sample of validation rows
    rng = np.random.default_rng(11)
    pick = np.sort(rng.choice(len(yva), size=min(400, len(yva)), replace=False))
    holdout = {
        "feature_names": FEATURE_NAMES,
        "rows": [[None if np.isnan(v) else float(v) for v in row] for row in xva[pick]],
        "probabilities": [float(p) for p in pva[pick]],
    }
    with open(os.path.join(args.out, "default.holdout.json"), "w") as f:
        json.dump(holdout, f)

    from card import write_card

    write_card(os.path.join(args.out, "default.card.md"), params, summary, metrics, train_metrics, trained_at,
               lineage, ranges, OUT_OF_RANGE, slice_metrics, int(avail.sum()),
               len(ytr), len(yva), float(ytr.mean()), float(yva.mean()), model.n_iter_)
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()

"""Writes the model card (markdown) for a trained model."""

NAMES = {
    "model": "default model (HistGradientBoosting)",
    "capacity_lost_last_hour": "baseline: capacity lost in the last hour",
    "frac_capacity_lost_6h": "baseline: fraction of capacity lost over the last 6 hours",
}


def write_card(path, params, summary, metrics, train_metrics, trained_at, lineage, ranges, out_of_range, slice_metrics,
               n_avail, n_train, n_valid, pos_train, pos_valid, n_iter):
    lines = [
        "# spotwise default model: capacity risk, next hour",
        "",
        f"Trained {trained_at} by `training/train.py` (Debian python3, scikit-learn HistGradientBoostingClassifier,",
        "exported as an ONNX `TreeEnsembleClassifier` with `onnx.helper`, see `training/export_onnx.py`).",
        "",
        "## What it predicts",
        "P(capacity is lost, i.e. a 1-node trace has value 0, at any tick within the next hour) for a spot pool,",
        "from the capacity features of the feature contract `spotwise-features/1` (features 14..22:",
        "cap_available_now, cap_unavail_frac_{1h,6h,24h,7d}, hours_since_capacity_loss, cap_available_run_hours,",
        "cap_unavailable_run_hours, cap_loss_events_24h). Price, advisor, placement and hour-of-week features are",
        "missing (NaN) in the traces and the model treats them as missing; it never split on them.",
        "Output: `label` int64 [N] and `probabilities` float [N,2] (column 1 = P(loss)).",
        "",
        "## Data",
        "The 1-node traces (availability and preemption kinds) of `../shared/data/aux/spot-traces.csv`",
        "(NSDI'24 \"Can't Be Late\" spot capacity probes, skypilot-org/spot-traces; no licence, so read at train",
        "time and never copied into the repository). Value 0 = no capacity at that tick. Timestamps are the",
        "trace offsets (no absolute clock: hour_of_week is NaN). Rows whose next hour is not fully observed are dropped.",
        "",
        "| trace | ticks | tick gap (s) | train rows | validation rows |",
        "|---|---|---|---|---|",
    ]
    for s in summary:
        lines.append(f"| {s['trace']} | {s['ticks']} | {s['gap_s']:.0f} | {s['train_rows']} | {s['valid_rows']} |")
    lines += [
        "",
        "## Split (in time)",
        "Per trace: the first 70% of its time span trains, the last 30% validates. Training rows whose label",
        "window reaches into the validation period are purged.",
        f"Training rows {n_train} (positive rate {pos_train:.3f}); validation rows {n_valid} (positive rate {pos_valid:.3f}).",
        "",
        "## Validation metrics (pooled over traces)",
        "",
        "| predictor | AUC | Brier | log loss | n |",
        "|---|---|---|---|---|",
    ]
    for k, m in metrics.items():
        lines.append(f"| {NAMES.get(k, k)} | {m['auc']:.4f} | {m['brier']:.4f} | {m['log_loss']:.4f} | {m['n']} |")
    lines += [
        "",
        f"On validation rows where capacity is available now ({n_avail} rows: the decisions that matter; nearly every",
        "row where capacity is unavailable now is positive, which flatters the pooled figures):",
        "",
        "| predictor | AUC | Brier | log loss | n |",
        "|---|---|---|---|---|",
    ]
    for k, m in slice_metrics.items():
        lines.append(f"| {NAMES.get(k, k)} | {m['auc']:.4f} | {m['brier']:.4f} | {m['log_loss']:.4f} | {m['n']} |")
    lines += [
        "",
        f"Training-set metrics of the model: AUC {train_metrics['auc']:.4f}, Brier {train_metrics['brier']:.4f}, log loss {train_metrics['log_loss']:.4f}.",
        "",
        "Baselines: \"capacity lost in the last hour\" = 1 when any tick in (t-1h, t] has value 0, else 0;",
        "\"fraction of capacity lost over the last 6 hours\" = share of ticks in (t-6h, t] with value 0.",
        "Log loss clips probabilities to [1e-7, 1-1e-7]. AUC ties are averaged.",
        "",
        "## Training parameters",
        f"`{params}`; trees built: {n_iter}.",
        "",
        "## Lineage (also in the ONNX metadata)",
        f"- training data sha256: `{lineage['training_data_sha256']}`",
        f"- code commit: `{lineage['code_commit']}`",
        f"- libraries: `{lineage['libraries']}`",
        "- identity in the registry: sha256 of the graph and its semantic metadata (not trained_at, commit or versions),",
        "  so a bit-identical retrain is recognised as the model already registered.",
        "",
        "## Where it is valid (drift guard)",
        "Per-feature training ranges (min, max over training rows) travel in `spotwise.training_ranges`:",
        "",
        "| feature | min | max |",
        "|---|---|---|",
    ]
    for name, (lo, hi) in ranges.items():
        lines.append(f"| {name} | {lo:.4g} | {hi:.4g} |")
    lines += [
        "",
        f"Outside them (`spotwise.out_of_range` = `{out_of_range}`): "
        + ("rows are scored by the advisor-bucket fallback." if out_of_range == "fallback" else
           "the trees are constant beyond the range (the boundary leaf), so rows are still scored by the model; they are "
           "counted (`spotwise_model_rows_out_of_range` and `/spot status`)."),
        "",
        "## Limits",
        "- GPU types (p2/p3) and one 64-vCPU Intel type in a few us-east/us-west zones, 2022-2023: other pools may behave differently.",
        "- Capacity series only; when the daemon has no capacity observations for a pool, the capacity features are NaN and",
        "  the model returns roughly the base rate. Retrain when price or advisor features become available in training data.",
        "",
        "Reproduce: `/usr/bin/python3 training/train.py --traces ../shared/data/aux/spot-traces.csv --out models`; check with",
        "`spotwise risk-eval --traces ../shared/data/aux/spot-traces.csv --model models/default.onnx` (held-out rows only,",
        "pooled and by capacity available/unavailable now, AUC intervals by bootstrap over whole traces).",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")

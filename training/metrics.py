"""AUC (rank-based, ties averaged), Brier score and log loss; same definitions as src/core/models/metrics.ts."""
import numpy as np

LOG_LOSS_EPS = 1e-7


def auc(y, p):
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="mergesort")
    ps = p[order]
    ranks = np.empty(len(p))
    i = 0
    while i < len(ps):
        j = i
        while j + 1 < len(ps) and ps[j + 1] == ps[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    pos = (y == 1).sum()
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def brier(y, p):
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y)) ** 2))


def log_loss(y, p):
    p = np.clip(np.asarray(p, dtype=np.float64), LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    y = np.asarray(y)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def all_metrics(y, p):
    return {"auc": auc(y, p), "brier": brier(y, p), "log_loss": log_loss(y, p), "n": int(len(y))}

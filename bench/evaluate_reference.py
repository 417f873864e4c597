#!/usr/bin/env python3
"""The evaluation benchmark's baseline: the same statistics as Ratchet's evaluation report and
drift report, computed by the Python reference libraries on the same files.

    python3 bench/evaluate_reference.py --dir DIR [--replicates 1000] [--seed 7] [--threshold 0.5]

Reads DIR/holdout.parquet, DIR/reference.parquet and the two score arrays Ratchet wrote
(DIR/candidate.f64, DIR/baseline.f64, little-endian float64, one per holdout row), and prints one
JSON line: seconds per phase and the peak RSS of this process.

Phases, each what a competent Python data scientist would write:
- read: pyarrow.parquet.read_table, columns to numpy;
- metrics: scikit-learn's roc_auc_score, average_precision_score, log_loss, brier_score_loss,
  accuracy/precision/recall/f1 (zero_division=0), positive rate and ECE with numpy, overall and on
  each of the 20 slices, for both models;
- bootstrap: paired percentile bootstrap, numpy-vectorised, the same algorithm as Ratchet: each
  model's rows are sorted once per layout (overall, and slice by slice for each slice column);
  a replicate draws n row indices (numpy's PCG64), turns them into counts with np.bincount, and
  computes every metric of every target as weighted cumulative sums over the sorted rows
  (np.cumsum, np.add.reduceat over tie groups and slices, np.bincount for calibration bins): no
  Python loop over rows or slices, no per-replicate sort;
- fairness: Fairlearn's MetricFrame (selection rate, TPR, FPR by group) and its differences
  (demographic parity, equalized odds), for both protected columns and both models;
- drift: for each of the 20 columns, scipy.stats.ks_2samp (numeric) or chi2_contingency
  (categorical), PSI over reference deciles, scipy.spatial.distance.jensenshannon.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings

import numpy as np
import pyarrow.parquet as pq
import pandas as pd
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
from scipy import stats
from scipy.spatial.distance import jensenshannon
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

NUMERIC = [f"x{j:02d}" for j in range(16)]
SLICES = ["region", "channel"]
PROTECTED = ["sex", "age_band"]
CATEGORICAL = SLICES + PROTECTED
MISSING = "(missing)"
EPS = np.finfo(float).eps
PSI_EPSILON = 1e-4
warnings.simplefilter("ignore")


def codes(values) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a string column (None is its own value), sorted value order."""
    filled = np.array([MISSING if v is None else v for v in values], dtype=object)
    uniques, inverse = np.unique(filled, return_inverse=True)
    return inverse.astype(np.int64), list(uniques)


def ece(y, s, w=None) -> float:
    bins = np.minimum(np.floor(s * 10), 9).astype(np.int64)
    w = np.ones(len(y)) if w is None else w
    total = w.sum()
    n_b = np.bincount(bins, weights=w, minlength=10)
    y_b = np.bincount(bins, weights=w * y, minlength=10)
    s_b = np.bincount(bins, weights=w * s, minlength=10)
    return float(np.abs(y_b - s_b).sum() / total)


def metrics(y, s, thr) -> dict:
    p = (s >= thr).astype(int)
    return {
        "auc": roc_auc_score(y, s),
        "average_precision": average_precision_score(y, s),
        "log_loss": log_loss(y, s, labels=[0, 1]),
        "brier": brier_score_loss(y, s),
        "accuracy": accuracy_score(y, p),
        "precision": precision_score(y, p, zero_division=0),
        "recall": recall_score(y, p, zero_division=0),
        "f1": f1_score(y, p, zero_division=0),
        "positive_rate": p.mean(),
        "ece": ece(y, s),
    }


class Layout:
    """One model's rows for one family of targets, sorted once: segment by segment (the whole table,
    or one slice after another), descending score inside a segment, with the tie groups marked."""

    def __init__(self, y, s, thr, segment_of_row, segments):
        order = np.lexsort((-s, segment_of_row))  # by segment, then descending score (stable)
        self.order = order
        self.segments = segments
        seg = segment_of_row[order]
        ys, ss = y[order].astype(np.float64), s[order]
        self.y, self.s = ys, ss
        clipped = np.clip(ss, EPS, 1 - EPS)
        self.loss = np.where(ys == 1, -np.log(clipped), -np.log(1 - clipped))
        self.sq = (ys - ss) ** 2
        self.pred = (ss >= thr).astype(np.float64)
        self.bin_key = seg * 10 + np.minimum(np.floor(ss * 10), 9).astype(np.int64)
        n = len(order)
        last = np.ones(n, dtype=bool)  # last row of a tie group (inside a segment)
        last[:-1] = (ss[1:] != ss[:-1]) | (seg[1:] != seg[:-1])
        self.ends = np.flatnonzero(last)
        self.end_seg = seg[self.ends]
        self.seg_start = np.searchsorted(seg, np.arange(segments))
        first_end = np.searchsorted(self.end_seg, np.arange(segments))  # first group end of each segment
        self.group_first = np.zeros(len(self.ends), dtype=bool)
        self.group_first[first_end[first_end < len(self.ends)]] = True

    def replicate(self, counts) -> np.ndarray:
        """All ten metrics of every segment for one resample (counts per original row): [segments, 10]."""
        w = counts[self.order].astype(np.float64)
        wy = w * self.y
        wn = w - wy
        seg_sum = lambda v: np.add.reduceat(v, self.seg_start)
        pos, neg = seg_sum(wy), seg_sum(wn)
        total = pos + neg
        # Cumulative TP/FP at every tie-group end, counted from the start of its segment.
        cum_tp = np.concatenate(([0.0], np.cumsum(wy)))
        cum_fp = np.concatenate(([0.0], np.cumsum(wn)))
        tp = cum_tp[self.ends + 1] - cum_tp[self.seg_start][self.end_seg]
        fp = cum_fp[self.ends + 1] - cum_fp[self.seg_start][self.end_seg]
        tp_prev = np.where(self.group_first, 0.0, np.concatenate(([0.0], tp[:-1])))
        fp_prev = np.where(self.group_first, 0.0, np.concatenate(([0.0], fp[:-1])))
        d_tp, d_fp = tp - tp_prev, fp - fp_prev
        area = np.bincount(self.end_seg, weights=d_fp * (tp_prev + 0.5 * d_tp), minlength=self.segments)
        with np.errstate(invalid="ignore", divide="ignore"):
            steps = np.where(d_tp > 0, d_tp * tp / (tp + fp), 0.0)
        ap = np.bincount(self.end_seg, weights=steps, minlength=self.segments)
        tp_cut = seg_sum(wy * self.pred)
        pred = seg_sum(w * self.pred)
        out = np.full((self.segments, 10), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            both = (pos > 0) & (neg > 0)
            out[:, 0] = np.where(both, area / (pos * neg), np.nan)
            out[:, 1] = np.where(both, ap / pos, np.nan)
            out[:, 2] = seg_sum(w * self.loss) / total
            out[:, 3] = seg_sum(w * self.sq) / total
            out[:, 4] = (tp_cut + (neg - (pred - tp_cut))) / total
            out[:, 5] = np.where(pred > 0, tp_cut / pred, 0.0)
            out[:, 6] = np.where(pos > 0, tp_cut / pos, 0.0)
            out[:, 7] = np.where(pos + pred > 0, 2 * tp_cut / (pos + pred), 0.0)
            out[:, 8] = pred / total
            k = self.segments * 10
            gap = np.abs(np.bincount(self.bin_key, weights=wy, minlength=k) - np.bincount(self.bin_key, weights=w * self.s, minlength=k))
            out[:, 9] = gap.reshape(self.segments, 10).sum(axis=1) / total
        return out


def bootstrap(y, scores: dict, thr, slice_codes, replicates, seed) -> dict:
    n = len(y)
    families = [(np.zeros(n, dtype=np.int64), 1)] + [(c, int(c.max()) + 1) for c, _ in slice_codes]
    layouts = {name: [Layout(y, s, thr, seg, k) for seg, k in families] for name, s in scores.items()}
    rng = np.random.default_rng(seed)
    values = {name: np.empty((replicates, sum(k for _, k in families), 10)) for name in scores}
    for r in range(replicates):
        counts = np.bincount(rng.integers(0, n, n), minlength=n)
        for name in scores:
            values[name][r] = np.concatenate([layout.replicate(counts) for layout in layouts[name]])
    names = list(scores)
    delta = values[names[0]] - values[names[1]]
    intervals = {}
    for name, v in [*values.items(), ("delta", delta)]:
        intervals[name] = np.nanpercentile(v, [2.5, 97.5], axis=0)
    return intervals


def fairness(y, s, column, thr) -> dict:
    """One MetricFrame per column and model; the two differences are read off it (Fairlearn's
    demographic_parity_difference and equalized_odds_difference would each build another frame).
    Groups are passed as integer codes, the fastest input Fairlearn takes."""
    p = (s >= thr).astype(int)
    sf, _ = pd.factorize(np.array([MISSING if v is None else v for v in column], dtype=object))
    frame = MetricFrame(
        metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=y,
        y_pred=p,
        sensitive_features=sf,
    )
    spread = frame.difference()
    return {
        "by_group": frame.by_group.to_dict(),
        "demographic_parity_difference": float(spread["selection_rate"]),
        "equalized_odds_difference": float(max(spread["tpr"], spread["fpr"])),
    }


def drift(reference, current) -> dict:
    out = {}
    for name in NUMERIC:
        ref, cur = reference[name], current[name]
        ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
        edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
        rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1)
        cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1)
        ks = stats.ks_2samp(ref, cur)
        out[name] = {"ks": float(ks.statistic), "p": float(ks.pvalue), "psi": psi(rc, cc), "js": float(jensenshannon(rc / rc.sum(), cc / cc.sum(), base=2))}
    for name in CATEGORICAL:
        ref = np.array([MISSING if v is None else v for v in reference[name]], dtype=object)
        cur = np.array([MISSING if v is None else v for v in current[name]], dtype=object)
        labels = np.unique(np.concatenate([ref, cur]))
        rc = np.array([np.count_nonzero(ref == v) for v in labels])
        cc = np.array([np.count_nonzero(cur == v) for v in labels])
        chi = stats.chi2_contingency(np.array([rc, cc]), correction=False)
        out[name] = {"chi2": float(chi.statistic), "p": float(chi.pvalue), "psi": psi(rc, cc), "js": float(jensenshannon(rc / rc.sum(), cc / cc.sum(), base=2))}
    return out


def psi(rc, cc) -> float:
    p = np.maximum(rc / rc.sum(), PSI_EPSILON)
    q = np.maximum(cc / cc.sum(), PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


def read(path, columns) -> dict:
    table = pq.read_table(path, columns=columns)
    return {name: (table[name].to_numpy(zero_copy_only=False) if name in NUMERIC or name == "label" else table[name].to_pylist()) for name in columns}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    seconds = {}

    t = time.perf_counter()
    holdout = read(f"{args.dir}/holdout.parquet", NUMERIC + CATEGORICAL + ["label"])
    reference = read(f"{args.dir}/reference.parquet", NUMERIC + CATEGORICAL)
    y = holdout["label"].astype(np.int64)
    scores = {name: np.fromfile(f"{args.dir}/{name}.f64", dtype="<f8") for name in ("candidate", "baseline")}
    seconds["read"] = time.perf_counter() - t

    t = time.perf_counter()
    slice_codes = [codes(holdout[c]) for c in SLICES]
    point = {}
    for name, s in scores.items():
        point[name] = {"overall": metrics(y, s, args.threshold)}
        for (code, values), column in zip(slice_codes, SLICES):
            for i, value in enumerate(values):
                m = code == i
                point[name][f"{column}={value}"] = metrics(y[m], s[m], args.threshold)
    seconds["metrics"] = time.perf_counter() - t

    t = time.perf_counter()
    bootstrap(y, scores, args.threshold, slice_codes, args.replicates, args.seed)
    seconds["bootstrap"] = time.perf_counter() - t

    t = time.perf_counter()
    for s in scores.values():
        for column in PROTECTED:
            fairness(y, s, holdout[column], args.threshold)
    seconds["fairness"] = time.perf_counter() - t

    t = time.perf_counter()
    drift(reference, holdout)
    seconds["drift"] = time.perf_counter() - t

    print(json.dumps({"seconds": seconds, "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "replicates": args.replicates}))


if __name__ == "__main__":
    main()

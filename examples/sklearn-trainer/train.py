#!/usr/bin/env python3
"""A scikit-learn trainer for Ratchet's external-trainer protocol (see trainers/README.md).

    python3 train.py --train TRAIN.parquet --valid VALID.parquet --out DIR --spec SPEC.json

Reads the Parquet splits, fits a Pipeline (median imputation + standardisation for numeric
features, constant imputation + one-hot for categorical ones, then LogisticRegression), converts
it to ONNX with one [N, 1] input per feature and a plain probability tensor (no ZipMap), and
writes DIR/model.onnx and DIR/meta.json. Progress goes to stdout, errors to stderr; the exit code
is 0 on success, 2 for bad input, 1 for anything else.

Hyperparameters come from spec.json "params": C (default 1.0), max_iter (default 1000),
class_weight (default null; "balanced" is accepted).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import skl2onnx
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType

TRAINER_NAME = "sklearn-logistic-regression"
# Ratchet sends a missing category as "" (see scoring/feature-values.ts), so "" is what the
# ONNX graph must treat as missing; training data gets the same treatment below.
MISSING_CATEGORY = ""


class InputError(Exception):
    """Bad input: reported with exit code 2."""


def log(message: str) -> None:
    print(message, flush=True)


def read_spec(path: Path) -> dict:
    try:
        spec = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read the spec {path}: {err}") from err
    if not isinstance(spec.get("label"), str) or not isinstance(spec.get("features"), list) or not spec["features"]:
        raise InputError(f'{path} needs "label" (string) and "features" (non-empty list of {{"name", "type"}})')
    for feature in spec["features"]:
        if feature.get("type") not in ("numeric", "categorical"):
            raise InputError(f'{path}: feature {feature.get("name")!r} has type {feature.get("type")!r}; expected "numeric" or "categorical"')
    return spec


def load_split(path: Path, spec: dict, numeric: list[str], categorical: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        df = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for unreadable files
        raise InputError(f"cannot read {path} as Parquet: {err}") from err
    missing = [c for c in [spec["label"], *numeric, *categorical] if c not in df.columns]
    if missing:
        raise InputError(f"{path} has no column(s) {', '.join(missing)} (columns: {', '.join(map(str, df.columns))})")
    labels = pd.to_numeric(df[spec["label"]], errors="coerce")
    if labels.isna().any() or not labels.isin([0, 1]).all():
        raise InputError(f"{path}: label column {spec['label']!r} must hold only 0 and 1 (true/false)")
    x = pd.DataFrame(index=df.index)
    for name in numeric:
        try:
            x[name] = pd.to_numeric(df[name].astype("float64"), errors="raise")
        except (TypeError, ValueError) as err:
            raise InputError(f"{path}: numeric feature {name!r} holds non-numeric values ({err})") from err
    for name in categorical:
        x[name] = df[name].astype("object").where(df[name].notna(), MISSING_CATEGORY).astype(str)
    return x, labels.to_numpy(dtype=int)


def build_pipeline(numeric: list[str], categorical: list[str], params: dict) -> Pipeline:
    transformers = []
    if numeric:
        transformers.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric))
    if categorical:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        # skl2onnx converts a string imputer only when its missing marker is a string.
                        ("impute", SimpleImputer(strategy="constant", missing_values=MISSING_CATEGORY, fill_value="__missing__")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                categorical,
            )
        )
    classifier = LogisticRegression(
        C=float(params.get("C", 1.0)),
        max_iter=int(params.get("max_iter", 1000)),
        class_weight=params.get("class_weight"),
    )
    return Pipeline([("preprocess", ColumnTransformer(transformers)), ("classifier", classifier)])


def to_onnx(pipeline: Pipeline, numeric: list[str], categorical: list[str], order: list[str]) -> bytes:
    kinds = {**{n: FloatTensorType([None, 1]) for n in numeric}, **{n: StringTensorType([None, 1]) for n in categorical}}
    # One input per feature, in declared order, named like the feature: what Ratchet feeds.
    initial_types = [(name, kinds[name]) for name in order]
    # zipmap False: probabilities as a float tensor; onnxruntime-node cannot return ZipMap's maps.
    # A fixed graph name (skl2onnx picks a random one otherwise): the same fit gives the same bytes, so the same sha256.
    model = convert_sklearn(pipeline, initial_types=initial_types, options={LogisticRegression: {"zipmap": False}}, name=TRAINER_NAME)
    return model.SerializeToString()


def write_atomic(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def train(args: argparse.Namespace) -> None:
    started = time.monotonic()
    spec = read_spec(Path(args.spec))
    params = spec.get("params") or {}
    order = [f["name"] for f in spec["features"]]
    numeric = [f["name"] for f in spec["features"] if f["type"] == "numeric"]
    categorical = [f["name"] for f in spec["features"] if f["type"] == "categorical"]

    x_train, y_train = load_split(Path(args.train), spec, numeric, categorical)
    x_valid, y_valid = load_split(Path(args.valid), spec, numeric, categorical)
    log(f"loaded train rows={len(x_train)} valid rows={len(x_valid)} features={len(order)}")
    if len(np.unique(y_train)) < 2:
        raise InputError(f"{args.train}: the training labels hold a single class; a classifier needs both 0 and 1")

    pipeline = build_pipeline(numeric, categorical, params)
    log("fitting LogisticRegression")
    pipeline.fit(x_train, y_train)

    meta: dict = {
        "trainer": TRAINER_NAME,
        "params": {"C": pipeline["classifier"].C, "max_iter": pipeline["classifier"].max_iter, "class_weight": pipeline["classifier"].class_weight},
        "features": spec["features"],
        "train_rows": int(len(x_train)),
        "valid_rows": int(len(x_valid)),
        "valid_auc": None,
        "valid_log_loss": None,
        "iterations": int(pipeline["classifier"].n_iter_[0]),
        "converged": bool(pipeline["classifier"].n_iter_[0] < pipeline["classifier"].max_iter),
        "versions": {"python": sys.version.split()[0], "scikit-learn": sklearn.__version__, "skl2onnx": skl2onnx.__version__},
    }
    if len(x_valid) > 0:
        p_valid = pipeline.predict_proba(x_valid)[:, 1]
        meta["valid_log_loss"] = float(log_loss(y_valid, p_valid, labels=[0, 1]))
        if len(np.unique(y_valid)) == 2:
            meta["valid_auc"] = float(roc_auc_score(y_valid, p_valid))
    log(f"valid_auc={meta['valid_auc']} valid_log_loss={meta['valid_log_loss']}")

    onnx_bytes = to_onnx(pipeline, numeric, categorical, order)
    meta["train_seconds"] = round(time.monotonic() - started, 3)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "model.onnx", onnx_bytes)
    write_atomic(out / "meta.json", (json.dumps(meta, indent=2) + "\n").encode())
    log(f"wrote {out / 'model.onnx'} ({len(onnx_bytes)} bytes)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, help="training split (Parquet)")
    parser.add_argument("--valid", required=True, help="validation split (Parquet)")
    parser.add_argument("--out", required=True, help="directory for model.onnx and meta.json")
    parser.add_argument("--spec", required=True, help="spec.json: label, features, params")
    args = parser.parse_args()
    try:
        train(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

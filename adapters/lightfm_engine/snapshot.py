"""Dataset snapshots: the prepared interactions and the evaluation split of one version.

A snapshot holds only what the model bundle does not (the bundle already has the id maps and the
feature matrices, whose sha256 the snapshot records), all as plain numeric arrays:

- ``positive_{rows,cols,weights,first_us}``: one entry per positive (user row, title row) pair, its
  summed weight and the time of its first positive event (microseconds since the epoch, UTC);
- ``negative_{rows,cols,weights}``: low-rated pairs (negative labels for ``logistic``);
- ``seen_{indptr,indices,first_us}``: every pair with any interaction (CSR) and its first event time;
- ``holdout``: bool, the random holdout over the positives; ``holdout_auc_users``: the AUC sample;
- ``forward_users``, ``forward_auc_users``: the users of the forward check (empty without one).

`recompute_metrics` rebuilds the evaluation fits (same seed, epochs and learning settings) and scores
them as the training did; with one training thread LightFM is deterministic, so the figures are equal.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from lightfm import LightFM

from adapters.lightfm_engine.assess import Plan, finish, score
from adapters.lightfm_engine.bundle import check_bundle, csr_from_parts, model_from_bundle
from adapters.lightfm_engine.fitting import fit_inputs, new_model, run_epochs
from adapters.lightfm_engine.forward import build_split
from adapters.lightfm_engine.partial import grown_model
from adapters.lightfm_engine.prepare import FeatureSpace, Prepared
from application.ports import ArtifactBundle
from domain.errors import ArtifactError
from domain.model_version import TrainParams
from domain.training_job import TrainMode

FORMAT = "lightfm-engine-snapshot"
FORMAT_VERSION = 1


def ids_digest(ids: npt.ArrayLike) -> str:
    return hashlib.sha256(np.ascontiguousarray(ids, dtype=np.int64).tobytes()).hexdigest()


def to_snapshot(prepared: Prepared, plan: Plan, info: dict[str, Any]) -> ArtifactBundle:
    none = np.empty(0, dtype=np.int64)
    arrays: dict[str, np.ndarray] = {
        "positive_rows": prepared.pos_rows.astype(np.int32),
        "positive_cols": prepared.pos_cols.astype(np.int32),
        "positive_weights": prepared.pos_weights.astype(np.float32),
        "positive_first_us": prepared.pos_first_us.astype(np.int64),
        "negative_rows": prepared.neg_rows.astype(np.int32),
        "negative_cols": prepared.neg_cols.astype(np.int32),
        "negative_weights": prepared.neg_weights.astype(np.float32),
        "seen_indptr": prepared.seen.indptr.astype(np.int64),
        "seen_indices": prepared.seen.indices.astype(np.int32),
        "seen_first_us": prepared.seen_first_us.astype(np.int64),
        "holdout": np.asarray(plan.held, dtype=bool),
        "holdout_auc_users": plan.auc_users.astype(np.int64),
        "forward_users": plan.forward.users if plan.forward is not None else none,
        "forward_auc_users": plan.forward.auc_users if plan.forward is not None else none,
    }
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "mode": plan.mode.value,
        "evaluation": plan.evaluation,
        "shape": list(prepared.shape),
        "user_ids_sha256": ids_digest(prepared.users.ids),
        "title_ids_sha256": ids_digest(prepared.titles.ids),
        "forward_cutoff_us": plan.forward.cutoff_us if plan.forward is not None else None,
        "ids_and_features": "in the model bundle (user_ids, title_ids, *_features_*)",
        **info,
    }
    return ArtifactBundle(arrays=arrays, meta=meta)


def prepared_from(model_bundle: ArtifactBundle, snapshot: ArtifactBundle) -> Prepared:
    """The `Prepared` of a version, from its model bundle (ids, features) and its snapshot."""
    check_bundle(model_bundle)
    meta, a = snapshot.meta, snapshot.arrays
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"not a {FORMAT} v{FORMAT_VERSION} dataset snapshot")
    user_ids = np.asarray(model_bundle.arrays["user_ids"], dtype=np.int64)
    title_ids = np.asarray(model_bundle.arrays["title_ids"], dtype=np.int64)
    if meta["user_ids_sha256"] != ids_digest(user_ids) or meta["title_ids_sha256"] != ids_digest(title_ids):
        raise ArtifactError("the dataset snapshot belongs to another model version (id maps differ)")
    shape = (len(user_ids), len(title_ids))
    seen = sp.csr_matrix(
        (np.ones(len(a["seen_indices"]), dtype=bool), a["seen_indices"], a["seen_indptr"]), shape=shape
    )
    return Prepared(
        users=_space(model_bundle, "user", user_ids),
        titles=_space(model_bundle, "item", title_ids),
        pos_rows=np.asarray(a["positive_rows"], dtype=np.int32),
        pos_cols=np.asarray(a["positive_cols"], dtype=np.int32),
        pos_weights=np.asarray(a["positive_weights"], dtype=np.float32),
        pos_first_us=np.asarray(a["positive_first_us"], dtype=np.int64),
        neg_rows=np.asarray(a["negative_rows"], dtype=np.int32),
        neg_cols=np.asarray(a["negative_cols"], dtype=np.int32),
        neg_weights=np.asarray(a["negative_weights"], dtype=np.float32),
        seen=seen,
        seen_first_us=np.asarray(a["seen_first_us"], dtype=np.int64),
    )


def plan_from(snapshot: ArtifactBundle, prepared: Prepared) -> Plan:
    a, cutoff_us = snapshot.arrays, snapshot.meta.get("forward_cutoff_us")
    split = None
    if cutoff_us is not None:
        users = np.asarray(a["forward_users"], dtype=np.int64)
        split = build_split(
            prepared, int(cutoff_us), users, np.asarray(a["forward_auc_users"], dtype=np.int64)
        )
    held = np.asarray(a["holdout"], dtype=bool)
    auc_users = np.asarray(a["holdout_auc_users"], dtype=np.int64)
    return Plan(
        TrainMode(snapshot.meta["mode"]),
        held,
        auc_users,
        split,
        bool(snapshot.meta.get("shared_forward_fit")),
    )


def recompute_metrics(
    model_bundle: ArtifactBundle,
    snapshot: ArtifactBundle,
    base: ArtifactBundle | None = None,
    baseline: ArtifactBundle | None = None,
    threads: int = 1,
) -> dict[str, float]:
    """The version's metrics again, from its bundle and snapshot (a fit of `epochs` epochs).

    A partial version evaluated forward needs its `base`; `forward_active_precision_at_10` needs the
    active model of the time as `baseline` and is left out without it.
    """
    prepared = prepared_from(model_bundle, snapshot)
    plan = plan_from(snapshot, prepared)
    params = TrainParams.from_dict(model_bundle.meta["params"])
    if plan.mode is TrainMode.PARTIAL and plan.fits() and base is None:
        raise ValueError("a partial version's forward evaluation continues its base: pass `base`")
    metrics: dict[str, float] = {}
    result = None
    for role, keep in plan.fits():
        model: LightFM
        if plan.mode is TrainMode.PARTIAL and base is not None:
            model, _ = grown_model(base, prepared, params)
        else:
            model = new_model(params, int(model_bundle.meta["training"]["seed"]))
        balance = float(model_bundle.meta["training"].get("user_balance", 0.0))
        run_epochs(model, fit_inputs(prepared, params.loss, keep, balance), params.epochs, threads)
        found, scored = score(plan, role, model, prepared, baseline, threads)
        metrics.update(found)
        result = scored or result
    if plan.evaluation == "in_sample":
        found, _ = score(plan, "served", model_from_bundle(model_bundle), prepared, baseline, threads)
        metrics.update(found)
    return finish(plan, metrics, result, baseline is not None)[0]


def _space(bundle: ArtifactBundle, side: str, ids: npt.NDArray[np.int64]) -> FeatureSpace:
    names = tuple(str(name) for name in bundle.meta.get(f"{side}_feature_names", []))
    return FeatureSpace(ids=ids, names=names, matrix=csr_from_parts(bundle.arrays, f"{side}_features"))

"""One LightFM fit as plain synchronous steps, shared by the engine and `snapshot.recompute_metrics`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from lightfm import LightFM

from adapters.lightfm_engine.prepare import Prepared
from domain.errors import TrainingFailedError
from domain.model_version import TrainParams

PARAMETERS = ("user_embeddings", "user_biases", "item_embeddings", "item_biases")

USER_BALANCE = 0.5
"""The engine's fits weigh each user's pairs by n ** -USER_BALANCE (n: the user's pairs in the fit).

LightFM visits every pair once per epoch, so heavy users dominate the fit while every user counts
the same in precision@10 and in what users see; balancing raised precision@10 on MovieLens 100k
(bench/quality.py, figures in BENCHMARKS.md). The pairs' own weights (from the interaction types)
are unchanged relative to each other within a user; `warp-kos` takes no weights at all.
"""


@dataclass(frozen=True, slots=True)
class FitInputs:
    """The matrices one fit consumes."""

    interactions: sp.coo_matrix
    sample_weight: sp.coo_matrix | None
    user_features: sp.csr_matrix
    item_features: sp.csr_matrix


def fit_inputs(
    prepared: Prepared, loss: str, keep: npt.NDArray[np.bool_] | None = None, user_balance: float = 0.0
) -> FitInputs:
    """Interactions for `loss` from the positives (those where `keep` is true, default all).

    `logistic` also gets the low-rated pairs as label -1 (LightFM's fit_logistic reads a label <= 0
    as negative and > 0 as positive, each weighted by its sample weight); `warp-kos` gets no weights.
    """
    rows, cols, weights = prepared.pos_rows, prepared.pos_cols, prepared.pos_weights
    if keep is not None:
        rows, cols, weights = rows[keep], cols[keep], weights[keep]
    labels = np.ones(len(rows), dtype=np.float32)
    if loss == "logistic" and len(prepared.neg_rows):
        rows = np.concatenate([rows, prepared.neg_rows])
        cols = np.concatenate([cols, prepared.neg_cols])
        weights = np.concatenate([weights, prepared.neg_weights])
        labels = np.concatenate([labels, -np.ones(len(prepared.neg_rows), dtype=np.float32)])
    if user_balance:
        weights = weights * balance(rows, prepared.shape[0], user_balance)
    interactions = sp.coo_matrix((labels, (rows, cols)), shape=prepared.shape)
    sample_weight = None
    if loss != "warp-kos":
        sample_weight = sp.coo_matrix((weights.astype(np.float32), (rows, cols)), shape=prepared.shape)
    return FitInputs(interactions, sample_weight, prepared.users.matrix, prepared.titles.matrix)


def balance(rows: npt.NDArray[np.integer], n_users: int, power: float) -> npt.NDArray[np.float32]:
    """Per-pair factor n_user ** -power, scaled to a mean of 1 (the learning rate keeps its meaning)."""
    if not len(rows):
        return np.ones(0, dtype=np.float32)
    counts = np.bincount(rows, minlength=n_users).astype(np.float64)
    factor = counts[rows] ** -power
    scaled: npt.NDArray[np.float32] = (factor / factor.mean()).astype(np.float32)
    return scaled


def new_model(params: TrainParams, seed: int) -> LightFM:
    return LightFM(
        no_components=params.no_components,
        loss=params.loss,
        learning_rate=params.learning_rate,
        item_alpha=params.item_alpha,
        user_alpha=params.user_alpha,
        random_state=seed,
    )


def fit_epoch(model: LightFM, inputs: FitInputs, epoch: int, threads: int) -> None:
    """One `fit_partial` epoch; TrainingFailedError when the parameters stop being finite."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            model.fit_partial(
                inputs.interactions,
                user_features=inputs.user_features,
                item_features=inputs.item_features,
                sample_weight=inputs.sample_weight,
                epochs=1,
                num_threads=threads,
            )
    except ValueError as exc:
        if "parameters are finite" not in str(exc):
            raise
        raise _diverged(model, epoch) from exc
    check_finite(model, epoch)


def run_epochs(model: LightFM, inputs: FitInputs, epochs: int, threads: int) -> LightFM:
    for epoch in range(1, epochs + 1):
        fit_epoch(model, inputs, epoch, threads)
    return model


def check_finite(model: LightFM, epoch: int) -> None:
    for name in PARAMETERS:
        if not np.isfinite(np.sum(getattr(model, name))):
            raise _diverged(model, epoch)


def _diverged(model: LightFM, epoch: int) -> TrainingFailedError:
    return TrainingFailedError(
        f"training diverged: non-finite parameters after epoch {epoch} (loss {model.loss}, learning_rate "
        f"{model.learning_rate}); lower the learning rate, add regularisation or normalize_features"
    )

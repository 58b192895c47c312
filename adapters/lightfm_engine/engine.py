"""The LightFM `RecommenderEngine`: prepare, fit and evaluate on a held-out split, refit on everything.

Every CPU-bound step runs in a worker thread (`asyncio.to_thread`); LightFM releases the GIL while it
fits, so the event loop keeps serving. Each epoch is one `fit_partial` call followed by `on_epoch`,
which may raise to cancel the training.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM

from adapters.lightfm_engine.bundle import to_bundle
from adapters.lightfm_engine.evaluate import pair_matrix, ranking_metrics, split_holdout, without
from adapters.lightfm_engine.prepare import Prepared, prepare
from adapters.lightfm_engine.scorer import NumpyScorer
from adapters.lightfm_engine.vectors import augmented
from adapters.source_tables import SourceTables
from application.ports import (
    ArtifactBundle,
    EpochCallback,
    RecommenderEngine,
    TrainingData,
    TrainingOutcome,
)
from domain.errors import TrainingFailedError
from domain.interaction import PositiveRule
from domain.model_version import DatasetStats, TrainParams

PARAMETERS = ("user_embeddings", "user_biases", "item_embeddings", "item_biases")


@dataclass(frozen=True, slots=True)
class FitInputs:
    """The matrices one fit consumes."""

    interactions: sp.coo_matrix
    sample_weight: sp.coo_matrix | None
    user_features: sp.csr_matrix
    item_features: sp.csr_matrix


def fit_inputs(prepared: Prepared, loss: str, keep: np.ndarray | None = None) -> FitInputs:
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
    interactions = sp.coo_matrix((labels, (rows, cols)), shape=prepared.shape)
    sample_weight = None
    if loss != "warp-kos":
        sample_weight = sp.coo_matrix((weights.astype(np.float32), (rows, cols)), shape=prepared.shape)
    return FitInputs(interactions, sample_weight, prepared.users.matrix, prepared.titles.matrix)


class LightFMEngine(RecommenderEngine):
    def __init__(
        self,
        rule: PositiveRule,
        threads: int = 1,
        seed: int = 42,
        holdout_fraction: float = 0.2,
        auc_max_users: int = 2000,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if not 0 < holdout_fraction < 1:
            raise ValueError(f"holdout_fraction must be in (0, 1), got {holdout_fraction}")
        self._rule = rule
        self._threads = threads
        self._seed = seed
        self._holdout_fraction = holdout_fraction
        self._auc_max_users = auc_max_users

    async def train(
        self, data: TrainingData, params: TrainParams, on_epoch: EpochCallback
    ) -> TrainingOutcome:
        if not isinstance(data, SourceTables):
            raise TypeError(f"LightFMEngine trains on SourceTables, got {type(data).__name__}")
        prepared = await asyncio.to_thread(prepare, data, self._rule, params.normalize_features)
        if prepared.n_positives == 0:
            raise TrainingFailedError(
                "the source holds no positive interactions (known int_type, ratings at or above the "
                "threshold), so there is nothing to train on"
            )
        total = 2 * params.epochs
        rng = np.random.default_rng(self._seed)
        held = await asyncio.to_thread(
            split_holdout, prepared.pos_rows, prepared.shape[0], self._holdout_fraction, rng
        )
        evaluation = await asyncio.to_thread(fit_inputs, prepared, params.loss, ~held)
        model, eval_seconds = await self._fit(evaluation, params, on_epoch, 0, total)
        metrics = await asyncio.to_thread(self._evaluate, model, prepared, held, rng)
        del model, evaluation
        final = await asyncio.to_thread(fit_inputs, prepared, params.loss)
        model, final_seconds = await self._fit(final, params, on_epoch, params.epochs, total)
        training = {"seed": self._seed, "holdout_fraction": self._holdout_fraction, "threads": self._threads}
        bundle = await asyncio.to_thread(to_bundle, model, prepared, params, training)
        return TrainingOutcome(
            bundle=bundle,
            metrics=metrics,
            stats=DatasetStats(prepared.shape[0], prepared.shape[1], prepared.n_positives),
            train_seconds=eval_seconds + final_seconds,
            cutoff=data.cutoff,
        )

    async def build_scorer(self, bundle: ArtifactBundle) -> NumpyScorer:
        return await asyncio.to_thread(NumpyScorer.from_bundle, bundle)

    # --- steps -------------------------------------------------------------------------
    def _new_model(self, params: TrainParams) -> LightFM:
        return LightFM(
            no_components=params.no_components,
            loss=params.loss,
            learning_rate=params.learning_rate,
            item_alpha=params.item_alpha,
            user_alpha=params.user_alpha,
            random_state=self._seed,
        )

    async def _fit(
        self, inputs: FitInputs, params: TrainParams, on_epoch: EpochCallback, done: int, total: int
    ) -> tuple[LightFM, float]:
        model = self._new_model(params)
        seconds = 0.0
        for epoch in range(1, params.epochs + 1):
            started = time.perf_counter()
            await asyncio.to_thread(self._fit_epoch, model, inputs, epoch)
            seconds += time.perf_counter() - started
            await on_epoch(done + epoch, total)
        return model, seconds

    def _fit_epoch(self, model: LightFM, inputs: FitInputs, epoch: int) -> None:
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
                model.fit_partial(
                    inputs.interactions,
                    user_features=inputs.user_features,
                    item_features=inputs.item_features,
                    sample_weight=inputs.sample_weight,
                    epochs=1,
                    num_threads=self._threads,
                )
        except ValueError as exc:
            if "parameters are finite" not in str(exc):
                raise
            raise _diverged(model, epoch) from exc
        check_finite(model, epoch)

    def _evaluate(
        self, model: LightFM, prepared: Prepared, held: np.ndarray, rng: np.random.Generator
    ) -> dict[str, float]:
        heldout = pair_matrix(prepared.pos_rows[held], prepared.pos_cols[held], prepared.shape)
        exclude = without(prepared.seen, heldout)
        eval_users = np.flatnonzero(np.diff(heldout.indptr))
        size = min(self._auc_max_users, len(eval_users))
        auc_users = np.sort(rng.choice(eval_users, size=size, replace=False))
        users = augmented(prepared.users.matrix, model.user_embeddings, model.user_biases, user_side=True)
        items = augmented(prepared.titles.matrix, model.item_embeddings, model.item_biases, user_side=False)
        metrics = ranking_metrics(users, items, exclude, heldout, auc_users, k=10, workers=self._threads)
        # The popular list on the same holdout: what the model has to beat.
        train = pair_matrix(prepared.pos_rows[~held], prepared.pos_cols[~held], prepared.shape)
        counts = np.asarray(train.getnnz(axis=0), dtype=np.float32).reshape(-1, 1)
        ones = np.ones((prepared.shape[0], 1), dtype=np.float32)
        baseline = ranking_metrics(ones, counts, exclude, heldout, auc_users, k=10, workers=self._threads)
        for name in ("precision_at_10", "recall_at_10", "auc"):
            metrics[f"popular_{name}"] = baseline[name]
        return metrics


def check_finite(model: LightFM, epoch: int) -> None:
    for name in PARAMETERS:
        if not np.isfinite(np.sum(getattr(model, name))):
            raise _diverged(model, epoch)


def _diverged(model: LightFM, epoch: int) -> TrainingFailedError:
    return TrainingFailedError(
        f"training diverged: non-finite parameters after epoch {epoch} (loss {model.loss}, learning_rate "
        f"{model.learning_rate}); lower the learning rate, add regularisation or normalize_features"
    )

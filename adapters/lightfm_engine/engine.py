"""The LightFM `RecommenderEngine`: prepare, fit and evaluate, then fit the version that is served.

Full training: an evaluation fit without the random holdout, scored on it; with a forward check and
newer positives, a second evaluation fit without those (and only those), scored on them against the
active model; then the served fit on everything. All fits count as fit time and as progress steps.
Partial retraining (`base`): the base grown for the current ids and features and continued on
everything, with an evaluation copy continued without the newer positives alongside (`assess.py`).

Every CPU-bound step runs in a worker thread (`asyncio.to_thread`); LightFM releases the GIL while it
fits, so the event loop keeps serving. After each epoch `on_epoch` is awaited; it may raise to cancel.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
from lightfm import LightFM

from adapters.lightfm_engine.assess import Plan, Role, finish, score
from adapters.lightfm_engine.bundle import check_bundle, feature_scale_of, to_bundle
from adapters.lightfm_engine.evaluate import auc_sample, pair_matrix, split_holdout
from adapters.lightfm_engine.fitting import (
    USER_BALANCE,
    FitInputs,
    check_finite,
    fit_epoch,
    fit_inputs,
    new_model,
)
from adapters.lightfm_engine.forward import cutoff_micros, plan_forward
from adapters.lightfm_engine.partial import effective_params, grown_model
from adapters.lightfm_engine.prepare import NAMED_FEATURE_SCALE, Prepared, prepare
from adapters.lightfm_engine.scorer import NumpyScorer
from adapters.lightfm_engine.snapshot import to_snapshot
from adapters.source.tables import SourceTables
from application.ports import (
    ArtifactBundle,
    EpochCallback,
    ForwardCheck,
    ForwardResult,
    RecommenderEngine,
    TrainingData,
    TrainingOutcome,
)
from domain.errors import TrainingFailedError
from domain.interaction import PositiveRule
from domain.model_version import DatasetStats, TrainParams
from domain.training_job import TrainMode

__all__ = ["FitInputs", "LightFMEngine", "check_finite", "fit_inputs"]

Fit = tuple[LightFM, FitInputs]


class LightFMEngine(RecommenderEngine):
    def __init__(
        self,
        rule: PositiveRule,
        threads: int = 1,
        seed: int = 42,
        holdout_fraction: float = 0.2,
        auc_max_users: int = 2000,
        shared_forward_fit: bool = False,
        feature_scale: float = NAMED_FEATURE_SCALE,
        user_balance: float = USER_BALANCE,
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
        self._shared_forward = shared_forward_fit
        self._feature_scale = feature_scale
        self._balance = user_balance

    async def train(
        self,
        data: TrainingData,
        params: TrainParams,
        on_epoch: EpochCallback,
        forward: ForwardCheck | None = None,
        base: ArtifactBundle | None = None,
    ) -> TrainingOutcome:
        if not isinstance(data, SourceTables):
            raise TypeError(f"LightFMEngine trains on SourceTables, got {type(data).__name__}")
        for bundle in (base, forward.baseline if forward else None):
            if bundle is not None:
                check_bundle(bundle)  # ArtifactError before any work
        requested = params
        if base is not None:
            params = effective_params(base, params)
        scale = self._feature_scale if base is None else feature_scale_of(base)  # partial: the base's
        prepared = await asyncio.to_thread(prepare, data, self._rule, params.normalize_features, scale)
        if prepared.n_positives == 0:
            raise TrainingFailedError(
                "the source holds no positive interactions (known int_type, ratings at or above the "
                "threshold), so there is nothing to train on"
            )
        mode = TrainMode.FULL if base is None else TrainMode.PARTIAL
        plan = await asyncio.to_thread(self._plan, prepared, mode, forward)
        baseline = forward.baseline if forward else None
        training: dict[str, Any] = {
            "mode": mode.value,
            "evaluation": plan.evaluation,
            "seed": self._seed,
            "holdout_fraction": self._holdout_fraction,
            "auc_max_users": self._auc_max_users,
            "threads": self._threads,
            "shared_forward_fit": self._shared_forward,
            "data_cutoff": data.cutoff.isoformat() if data.cutoff else None,
            "named_feature_scale": scale,
            "user_balance": self._balance,
            "forward_cutoff": forward.cutoff.isoformat() if forward else None,
        }
        if base is None:
            model, metrics, result, seconds = await self._train_full(
                prepared, plan, params, on_epoch, baseline
            )
        else:
            model, metrics, result, seconds, growth = await self._train_partial(
                prepared, plan, params, on_epoch, base, baseline
            )
            metrics.update({f"partial_{name}": float(growth[name]) for name in ("new_users", "new_titles")})
            training["growth"] = growth
            training["kept_from_base"] = {
                "no_components": params.no_components,
                "loss": params.loss,
                "normalize_features": params.normalize_features,
                "learning_schedule": model.learning_schedule,
            }
            training["requested"] = requested.to_dict()
        bundle = await asyncio.to_thread(to_bundle, model, prepared, params, training)
        snapshot = await asyncio.to_thread(to_snapshot, prepared, plan, {**training, "epochs": params.epochs})
        return TrainingOutcome(
            bundle=bundle,
            metrics=metrics,
            stats=DatasetStats(prepared.shape[0], prepared.shape[1], prepared.n_positives),
            train_seconds=seconds,
            cutoff=data.cutoff,
            snapshot=snapshot,
            forward=result,
        )

    async def build_scorer(self, bundle: ArtifactBundle) -> NumpyScorer:
        return await asyncio.to_thread(NumpyScorer.from_bundle, bundle)

    # --- steps -------------------------------------------------------------------------
    def _plan(self, prepared: Prepared, mode: TrainMode, forward: ForwardCheck | None) -> Plan:
        """The random holdout and its AUC sample, then the forward split, from one seeded generator."""
        rng = np.random.default_rng(self._seed)
        held = split_holdout(prepared.pos_rows, prepared.shape[0], self._holdout_fraction, rng)
        heldout = pair_matrix(prepared.pos_rows[held], prepared.pos_cols[held], prepared.shape)
        auc_users = auc_sample(heldout, self._auc_max_users, rng)
        split = None
        if forward is not None:
            known = forward.baseline.arrays["user_ids"]
            split = plan_forward(prepared, cutoff_micros(forward.cutoff), known, self._auc_max_users, rng)
        return Plan(mode, held, auc_users, split, self._shared_forward)

    async def _train_full(
        self,
        prepared: Prepared,
        plan: Plan,
        params: TrainParams,
        on_epoch: EpochCallback,
        baseline: ArtifactBundle | None,
    ) -> tuple[LightFM, dict[str, float], ForwardResult | None, float]:
        """Each evaluation fit in turn (scored, then dropped to free its memory), then the served fit."""
        fits = plan.fits()
        total, done, seconds = (len(fits) + 1) * params.epochs, 0, 0.0
        metrics: dict[str, float] = {}
        result = None
        for role, keep in fits:
            inputs = await asyncio.to_thread(fit_inputs, prepared, params.loss, keep, self._balance)
            fit = (new_model(params, self._seed), inputs)
            seconds += await self._epochs([fit], params.epochs, on_epoch, done, total)
            done += params.epochs
            found, scored = await asyncio.to_thread(
                score, plan, role, fit[0], prepared, baseline, self._threads
            )
            metrics.update(found)
            result = scored or result
            del fit, inputs
        inputs = await asyncio.to_thread(fit_inputs, prepared, params.loss, None, self._balance)
        final = (new_model(params, self._seed), inputs)
        seconds += await self._epochs([final], params.epochs, on_epoch, done, total)
        metrics, result = finish(plan, metrics, result, baseline is not None)
        return final[0], metrics, result, seconds

    async def _train_partial(
        self,
        prepared: Prepared,
        plan: Plan,
        params: TrainParams,
        on_epoch: EpochCallback,
        base: ArtifactBundle,
        baseline: ArtifactBundle | None,
    ) -> tuple[LightFM, dict[str, float], ForwardResult | None, float, dict[str, int]]:
        """The served model and, when there are newer positives to score, an evaluation copy without
        them, epoch by epoch side by side, so that `on_epoch` sees `params.epochs` steps."""
        model, growth = await asyncio.to_thread(grown_model, base, prepared, params)
        fits: list[tuple[Role, Fit]] = []
        for role, keep in plan.fits():
            copy, _ = await asyncio.to_thread(grown_model, base, prepared, params)
            inputs = await asyncio.to_thread(fit_inputs, prepared, params.loss, keep, self._balance)
            fits.append((role, (copy, inputs)))
        served = (model, await asyncio.to_thread(fit_inputs, prepared, params.loss, None, self._balance))
        seconds = await self._epochs(
            [fit for _, fit in fits] + [served], params.epochs, on_epoch, 0, params.epochs
        )
        scored: list[tuple[Role, LightFM]] = [(role, fit[0]) for role, fit in fits] or [("served", model)]
        metrics: dict[str, float] = {}
        result = None
        for role, candidate in scored:
            found, outcome = await asyncio.to_thread(
                score, plan, role, candidate, prepared, baseline, self._threads
            )
            metrics.update(found)
            result = outcome or result
        metrics, result = finish(plan, metrics, result, baseline is not None)
        return model, metrics, result, seconds, growth

    async def _epochs(
        self, fits: list[Fit], epochs: int, on_epoch: EpochCallback, done: int, total: int
    ) -> float:
        seconds = 0.0
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            for model, inputs in fits:
                await asyncio.to_thread(fit_epoch, model, inputs, epoch, self._threads)
            seconds += time.perf_counter() - started
            await on_epoch(done + epoch, total)
        return seconds

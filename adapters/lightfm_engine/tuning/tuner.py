"""Optuna search over the /admin/train parameters for the LightFM engine (README, "Tuning").

Trials are asked for and told one at a time on the event loop (Optuna's ask-and-tell interface), so
that every epoch runs in a worker thread and `on_progress` is awaited after it: progress and
cancellation work as in a training. A trial (`trial.py`) fits epoch by epoch on the fitting part of
`split.py` (a random share or each user's newest positives, as the job's `validation` says), scores
validation precision@10 every `eval_every` epochs, reports it to Optuna's median pruner and stops
early after `patience` checks without a better score; its `epochs` is the epoch of its best check.
The service's defaults are always trial 0, so the search never ends below them on validation.
Timeout: no trial starts after it, and a trial running at it ends there.

With a shared study (`study.py`), `rec-service tune-worker` processes run trials of the same study
(`worker.py`); the trainer waits for their running trials at the end, then confirms the best few
(`confirm.py`) among every process's trials.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np
import optuna
import structlog
from lightfm import LightFM

from adapters.lightfm_engine.evaluate import model_vectors
from adapters.lightfm_engine.fitting import USER_BALANCE
from adapters.lightfm_engine.prepare import NAMED_FEATURE_SCALE, Prepared
from adapters.lightfm_engine.rank_batches import ranking_metrics
from adapters.lightfm_engine.tuning.search import OBJECTIVE, TrainerSearch
from adapters.lightfm_engine.tuning.split import ValidationSplit, validation_split
from adapters.lightfm_engine.tuning.study import StudyStore
from adapters.lightfm_engine.tuning.worker import JoinedSearch
from adapters.source.tables import SourceTables
from application.ports import KeepGoing, SharedSearch, TrainingData, TuneCallback, Tuner
from domain.interaction import PositiveRule
from domain.tuning import DEFAULT_VALIDATION, TuneBudget, TuneOutcome, TuneValidation

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TunerSettings:
    seed: int = 42
    holdout_fraction: float = 0.2  # the engine's, and the validation share of the rest
    eval_every: int = 5  # epochs between validation checks
    patience: int = 3  # checks without improvement before a trial stops (validation is noisy)
    max_validation_users: int = 5000
    warmup_epochs: int = 10  # no pruning before this epoch


class LightFMTuner(Tuner, SharedSearch):
    def __init__(
        self,
        rule: PositiveRule,
        threads: int = 1,
        settings: TunerSettings | None = None,
        feature_scale: float = NAMED_FEATURE_SCALE,
        user_balance: float = USER_BALANCE,
        store: StudyStore | None = None,
    ) -> None:
        self.rule = rule
        self.user_balance = user_balance
        self.feature_scale = feature_scale  # the engine's: trials see the data as its fits do
        self.threads = threads
        self.settings = settings or TunerSettings()
        self.store = store or StudyStore()

    async def tune(
        self,
        data: TrainingData,
        budget: TuneBudget,
        on_progress: TuneCallback,
        search_id: str = "",
        validation: TuneValidation = DEFAULT_VALIDATION,
    ) -> TuneOutcome:
        search = TrainerSearch(
            self, _tables(data), budget, on_progress, search_id or f"local-{time.time_ns()}", validation
        )
        return await search.run()

    async def open_searches(self) -> list[str]:
        return [t.search_id for t in await asyncio.to_thread(self.store.open_searches)]

    async def join(self, search_id: str, data: TrainingData, keep_going: KeepGoing) -> int:
        return await JoinedSearch(self, search_id, _tables(data), keep_going).run()

    # --- pieces the searches use ---------------------------------------------------------
    def sampler(self, seed: int | None = None) -> optuna.samplers.BaseSampler:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=8)

    def pruner(self) -> optuna.pruners.BasePruner:
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=self.settings.warmup_epochs)

    def split(
        self, prepared: Prepared, draw: int = 1, validation: TuneValidation = DEFAULT_VALIDATION
    ) -> ValidationSplit:
        s = self.settings
        return validation_split(
            prepared, s.seed, s.holdout_fraction, s.max_validation_users, draw, validation
        )

    def validate(self, model: LightFM, prepared: Prepared, split: ValidationSplit) -> float:
        users, items = model_vectors(
            prepared, model.user_embeddings, model.user_biases, model.item_embeddings, model.item_biases
        )
        no_auc = np.empty(0, dtype=np.int64)
        found = ranking_metrics(
            users, items, split.exclude, split.heldout, no_auc, k=10, workers=self.threads
        )
        return float(found[OBJECTIVE])


def _tables(data: TrainingData) -> SourceTables:
    if not isinstance(data, SourceTables):
        raise TypeError(f"LightFMTuner tunes on SourceTables, got {type(data).__name__}")
    return data

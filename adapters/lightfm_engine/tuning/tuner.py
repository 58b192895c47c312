"""Optuna search over the /admin/train parameters for the LightFM engine (README, "Tuning").

Trials are asked for and told one at a time on the event loop (Optuna's ask-and-tell interface), so
that every epoch runs in a worker thread and `on_progress` is awaited after it: progress and
cancellation work as in a training. A trial fits epoch by epoch on the fitting part of
`tuning_split.py`, scores validation precision@10 every `eval_every` epochs, reports it to Optuna's
median pruner and stops early after `patience` checks without a better score; its `epochs` is the
epoch of its best check. The service's defaults are always trial 0, so the search never ends below
them on validation. Timeout: no trial starts after it, and a trial running at it ends there.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np
import optuna
import structlog
from lightfm import LightFM

from adapters.lightfm_engine.evaluate import model_vectors, ranking_metrics
from adapters.lightfm_engine.fitting import USER_BALANCE, fit_epoch, fit_inputs, new_model
from adapters.lightfm_engine.prepare import NAMED_FEATURE_SCALE, Prepared, prepare
from adapters.lightfm_engine.tuning.confirm import best as best_trial
from adapters.lightfm_engine.tuning.confirm import candidates, confirm
from adapters.lightfm_engine.tuning.space import STARTING_POINTS, suggest
from adapters.lightfm_engine.tuning.split import ValidationSplit, validation_split
from adapters.source.tables import SourceTables
from application.ports import TrainingData, TuneCallback, Tuner
from domain.errors import TrainingFailedError
from domain.interaction import PositiveRule
from domain.model_version import TrainParams
from domain.tuning import TrialRecord, TrialState, TuneBudget, TuneOutcome, TuneProgress

log = structlog.get_logger(__name__)

OBJECTIVE = "precision_at_10"


@dataclass(frozen=True, slots=True)
class TunerSettings:
    seed: int = 42
    holdout_fraction: float = 0.2  # the engine's, and the validation share of the rest
    eval_every: int = 5  # epochs between validation checks
    patience: int = 3  # checks without improvement before a trial stops (validation is noisy)
    max_validation_users: int = 5000
    warmup_epochs: int = 10  # no pruning before this epoch


class LightFMTuner(Tuner):
    def __init__(
        self,
        rule: PositiveRule,
        threads: int = 1,
        settings: TunerSettings | None = None,
        feature_scale: float = NAMED_FEATURE_SCALE,
        user_balance: float = USER_BALANCE,
    ) -> None:
        self.rule = rule
        self.user_balance = user_balance
        self.feature_scale = feature_scale  # the engine's: trials see the data as its fits do
        self.threads = threads
        self.settings = settings or TunerSettings()

    async def tune(self, data: TrainingData, budget: TuneBudget, on_progress: TuneCallback) -> TuneOutcome:
        if not isinstance(data, SourceTables):
            raise TypeError(f"LightFMTuner tunes on SourceTables, got {type(data).__name__}")
        search = _Search(self, data, budget, on_progress)
        return await search.run()

    # --- pieces the search uses ----------------------------------------------------------
    def study(self) -> optuna.Study:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        s = self.settings
        sampler = optuna.samplers.TPESampler(seed=s.seed, n_startup_trials=8)
        pruner = optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=s.warmup_epochs)
        study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
        for params in STARTING_POINTS:
            study.enqueue_trial(params)
        return study

    def validate(self, model: LightFM, prepared: Prepared, split: ValidationSplit) -> float:
        users, items = model_vectors(
            prepared, model.user_embeddings, model.user_biases, model.item_embeddings, model.item_biases
        )
        no_auc = np.empty(0, dtype=np.int64)
        found = ranking_metrics(
            users, items, split.exclude, split.heldout, no_auc, k=10, workers=self.threads
        )
        return float(found[OBJECTIVE])


class _Search:
    """One search's state: the prepared data per normalisation, the split, the trials so far."""

    def __init__(self, tuner: LightFMTuner, data: SourceTables, budget: TuneBudget, report: TuneCallback):
        self.tuner = tuner
        self._data = data
        self._budget = budget
        self._report = report
        self._prepared: dict[bool, Prepared] = {}
        self._records: list[TrialRecord] = []
        self._started = time.monotonic()
        self._deadline = self._started + budget.timeout_seconds

    async def run(self) -> TuneOutcome:
        split = await self._split()
        study = self.tuner.study()
        stopped = "n_trials"
        for _ in range(self._budget.n_trials):
            if time.monotonic() >= self._deadline:
                stopped = "timeout"
                break
            trial = await asyncio.to_thread(study.ask)
            record = await self._trial(study, trial, split)
            self._records.append(record)
            log.info("tune_trial", **record.to_dict())
        if candidates(self._records):
            second = await self._split(draw=2)
            self._records = await confirm(self._records, lambda record: self._refit(record, second))
            log.info(
                "tune_confirmed", **{f"trial_{r.number}": r.confirmation for r in candidates(self._records)}
            )
        return self._outcome(split, stopped)

    async def _refit(self, record: TrialRecord, split: ValidationSplit) -> float | None:
        """The trial's parameters fitted again for its recorded epochs, scored once on `split`."""
        tuner, params = self.tuner, record.params
        prepared = await self._prepared_for(params.normalize_features)
        inputs = await asyncio.to_thread(fit_inputs, prepared, params.loss, split.fit, tuner.user_balance)
        model = new_model(params, tuner.settings.seed)
        for epoch in range(1, params.epochs + 1):
            try:
                await asyncio.to_thread(fit_epoch, model, inputs, epoch, tuner.threads)
            except TrainingFailedError:
                return None
            await self.progress(record.number, epoch, confirming=True)
        return await asyncio.to_thread(tuner.validate, model, prepared, split)

    async def _split(self, draw: int = 1) -> ValidationSplit:
        prepared = await self._prepared_for(False)
        if prepared.n_positives == 0:
            raise TrainingFailedError(
                "the source holds no positive interactions, so there is nothing to tune"
            )
        s = self.tuner.settings
        split = await asyncio.to_thread(
            validation_split, prepared, s.seed, s.holdout_fraction, s.max_validation_users, draw
        )
        if split.positives == 0:
            raise TrainingFailedError(
                "too few positives to tune: no user keeps two or more positives once the evaluation "
                "holdout is set aside, so there is no validation split"
            )
        return split

    async def _prepared_for(self, normalize: bool) -> Prepared:
        if normalize not in self._prepared:
            self._prepared[normalize] = await asyncio.to_thread(
                prepare, self._data, self.tuner.rule, normalize, self.tuner.feature_scale
            )
        return self._prepared[normalize]

    async def _trial(self, study: optuna.Study, trial: optuna.Trial, split: ValidationSplit) -> TrialRecord:
        params = suggest(trial)
        run = _TrialRun(self, trial, params, split, await self._prepared_for(params.normalize_features))
        try:
            record = await run.execute()
        except BaseException:
            await asyncio.to_thread(study.tell, trial, state=optuna.trial.TrialState.FAIL)
            raise
        if record.state is TrialState.COMPLETE:
            await asyncio.to_thread(study.tell, trial, record.value)
        else:
            state = optuna.trial.TrialState[record.state.name]
            await asyncio.to_thread(study.tell, trial, state=state)
        return record

    async def progress(self, trial: int, epoch: int, confirming: bool = False) -> None:
        best = self.best()
        await self._report(
            TuneProgress(
                trials_done=len(self._records),
                trial=trial,
                epoch=epoch,
                elapsed_seconds=time.monotonic() - self._started,
                best_value=best.value if best else None,
                best_trial=best.number if best else None,
                confirming=confirming,
            )
        )

    def out_of_time(self) -> bool:
        return time.monotonic() >= self._deadline

    def best(self) -> TrialRecord | None:
        return best_trial(self._records)

    def _outcome(self, split: ValidationSplit, stopped: str) -> TuneOutcome:
        best = self.best()
        if best is None:
            raise TrainingFailedError(
                f"no trial could be validated within {self._budget.timeout_seconds:g} s "
                f"({len(self._records)} tried); raise timeout_seconds or n_trials"
            )
        return TuneOutcome(
            best=best,
            trials=tuple(self._records),
            objective=f"validation {OBJECTIVE}",
            stopped=stopped,
            seconds=time.monotonic() - self._started,
            validation_users=split.users,
            validation_positives=split.positives,
        )


class _TrialRun:
    """One trial: epochs with validation checks, pruning and early stopping."""

    def __init__(
        self,
        search: _Search,
        trial: optuna.Trial,
        params: TrainParams,
        split: ValidationSplit,
        prepared: Prepared,
    ) -> None:
        self._search, self._trial, self._params = search, trial, params
        self._split, self._prepared = split, prepared
        self._best: float | None = None
        self._best_epoch = 0

    async def execute(self) -> TrialRecord:
        tuner, params = self._search.tuner, self._params
        started = time.monotonic()
        split, balance = self._split, tuner.user_balance
        inputs = await asyncio.to_thread(fit_inputs, self._prepared, params.loss, split.fit, balance)
        model = new_model(params, tuner.settings.seed)
        state, epoch, stale = TrialState.COMPLETE, 0, 0
        for epoch in range(1, params.epochs + 1):
            try:
                await asyncio.to_thread(fit_epoch, model, inputs, epoch, tuner.threads)
            except TrainingFailedError:
                return self._record(TrialState.FAILED, epoch, started)
            await self._search.progress(self._trial.number, epoch)
            last = epoch == params.epochs or self._search.out_of_time()
            if epoch % tuner.settings.eval_every and not last:
                continue
            improved = await self._check(model, epoch)
            stale = 0 if improved else stale + 1
            if last or stale >= tuner.settings.patience:
                break
            if self._trial.should_prune():
                state = TrialState.PRUNED
                break
        return self._record(state, epoch, started)

    async def _check(self, model: LightFM, epoch: int) -> bool:
        value = await asyncio.to_thread(self._search.tuner.validate, model, self._prepared, self._split)
        self._trial.report(value, epoch)
        if self._best is not None and value <= self._best:
            return False
        self._best, self._best_epoch = value, epoch
        return True

    def _record(self, state: TrialState, epochs_run: int, started: float) -> TrialRecord:
        if self._best is None:
            state = TrialState.FAILED
        best_epochs = self._best_epoch or self._params.epochs
        return TrialRecord(
            number=self._trial.number,
            params=TrainParams.from_dict({**self._params.to_dict(), "epochs": best_epochs}),
            state=state,
            value=self._best,
            epochs_run=epochs_run,
            seconds=time.monotonic() - started,
        )

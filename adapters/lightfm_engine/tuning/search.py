"""The trainer's search: its trials, then the workers' (waited for), then the confirmation of the best.

It owns the study of the search (`study.py`): created with the data fingerprint, the deadline and the
validation split (`random` or `time`) the workers need, closed at the end whatever happens, so that
the workers' trials stop with it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import optuna
import structlog

from adapters.lightfm_engine.fitting import fit_epoch, fit_inputs, new_model
from adapters.lightfm_engine.prepare import Prepared, prepare
from adapters.lightfm_engine.tuning import study as shared
from adapters.lightfm_engine.tuning.confirm import best as best_trial
from adapters.lightfm_engine.tuning.confirm import candidates, confirm
from adapters.lightfm_engine.tuning.space import STARTING_POINTS
from adapters.lightfm_engine.tuning.split import ValidationSplit
from adapters.lightfm_engine.tuning.study import SearchTerms
from adapters.lightfm_engine.tuning.trial import TrialSetting, run_trial
from adapters.lightfm_engine.tuning.worker import fingerprint
from adapters.source.tables import SourceTables
from application.ports import TuneCallback
from domain.errors import TrainingFailedError
from domain.tuning import (
    DEFAULT_VALIDATION,
    TrialRecord,
    TuneBudget,
    TuneOutcome,
    TuneProgress,
    TuneValidation,
)

if TYPE_CHECKING:
    from adapters.lightfm_engine.tuning.tuner import LightFMTuner

log = structlog.get_logger(__name__)

OBJECTIVE = "precision_at_10"
WAIT_SECONDS = 1.0  # how often the trainer looks at the workers' running trials at the end
GRACE_SECONDS = 30.0
"""Past the deadline, how long the trainer still waits for the workers' running trials: each ends
at the end of its current epoch (and is recorded), so the search's history counts it."""


class TrainerSearch:
    """The trainer's search: the prepared data per normalisation, the split, the trials so far."""

    def __init__(
        self,
        tuner: LightFMTuner,
        data: SourceTables,
        budget: TuneBudget,
        report: TuneCallback,
        search_id: str,
        validation: TuneValidation = DEFAULT_VALIDATION,
    ):
        self.tuner = tuner
        self._validation = validation
        self._data = data
        self._budget = budget
        self._report = report
        self._search_id = search_id
        self._prepared: dict[bool, Prepared] = {}
        self._records: list[TrialRecord] = []
        self._mine: set[int] = set()
        self._started = time.monotonic()
        self._deadline = self._started + budget.timeout_seconds

    async def run(self) -> TuneOutcome:
        split = await self._split()
        study, terms = await self._study()
        try:
            stopped = await self._trials(study, split)
            await self._wait_for_workers(study)
        finally:
            await asyncio.to_thread(shared.StudyStore.publish, study, terms.closed())
        self._records = await asyncio.to_thread(shared.records, study)
        if candidates(self._records):
            second = await self._split(draw=2)
            self._records = await confirm(self._records, lambda record: self._refit(record, second))
            log.info(
                "tune_confirmed", **{f"trial_{r.number}": r.confirmation for r in candidates(self._records)}
            )
        return self._outcome(split, stopped)

    async def _study(self) -> tuple[optuna.Study, SearchTerms]:
        cutoff = self._data.cutoff
        terms = SearchTerms(
            self._search_id,
            time.time() + (self._deadline - time.monotonic()),
            self._budget.n_trials,
            cutoff.astimezone(UTC).isoformat() if isinstance(cutoff, datetime) else "",
            await asyncio.to_thread(fingerprint, await self._prepared_for(False)),
            validation=self._validation.value,
        )
        tuner = self.tuner

        def create() -> optuna.Study:
            study = tuner.store.create(terms, tuner.sampler(tuner.settings.seed), tuner.pruner())
            for params in STARTING_POINTS:
                study.enqueue_trial(params)
            return study

        return await asyncio.to_thread(create), terms

    async def _trials(self, study: optuna.Study, split: ValidationSplit) -> str:
        setting = TrialSetting(self.tuner, split, self._prepared_for, self._after_epoch, self.out_of_time)
        while True:
            if self.out_of_time():
                return "timeout"
            if await asyncio.to_thread(shared.started, study) >= self._budget.n_trials:
                return "n_trials"
            trial = await asyncio.to_thread(study.ask)
            if not await asyncio.to_thread(shared.within_budget, study, trial, self._budget.n_trials):
                await asyncio.to_thread(shared.skip, study, trial)  # a worker asked at the same time
                return "n_trials"
            self._mine.add(trial.number)
            record = await run_trial(setting, study, trial)
            self._records.append(record)
            log.info("tune_trial", **record.to_dict())

    async def _wait_for_workers(self, study: optuna.Study) -> None:
        """Until the other processes' running trials end (they end at the first epoch end after the
        deadline: waited for up to GRACE_SECONDS past it, so that their records are read)."""
        while await asyncio.to_thread(shared.running_elsewhere, study, self._mine):
            if time.monotonic() >= self._deadline + GRACE_SECONDS:
                return
            await self.progress(-1, 0)  # cancellation while waiting
            await asyncio.sleep(WAIT_SECONDS)

    async def _after_epoch(self, trial: int, epoch: int) -> bool:
        await self.progress(trial, epoch)  # raises to stop the search (cancelled)
        return True

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
        split = await asyncio.to_thread(self.tuner.split, prepared, draw, self._validation)
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

    async def progress(self, trial: int, epoch: int, confirming: bool = False) -> None:
        best = best_trial(self._records)
        await self._report(
            TuneProgress(
                trials_done=len(self._records),
                trial=max(trial, 0),
                epoch=epoch,
                elapsed_seconds=time.monotonic() - self._started,
                best_value=best.value if best else None,
                best_trial=best.number if best else None,
                confirming=confirming,
            )
        )

    def out_of_time(self) -> bool:
        return time.monotonic() >= self._deadline

    def _outcome(self, split: ValidationSplit, stopped: str) -> TuneOutcome:
        best = best_trial(self._records)
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

"""One trial: epochs with validation checks every `eval_every`, early stopping and shared pruning.

Whoever runs it (the trainer or a tune-worker) hands it `after_epoch`, awaited after every epoch:
progress and cancellation for the trainer, the study's state for a worker; False stops the trial
(it is then failed). Optuna calls that read or write the study run in a worker thread: with the
RDB storage they are statements on the registry database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import optuna
from lightfm import LightFM

from adapters.lightfm_engine.fitting import fit_epoch, fit_inputs, new_model
from adapters.lightfm_engine.prepare import Prepared
from adapters.lightfm_engine.tuning.space import suggest
from adapters.lightfm_engine.tuning.split import ValidationSplit
from adapters.lightfm_engine.tuning.study import fail, tell
from domain.errors import TrainingFailedError
from domain.model_version import TrainParams
from domain.tuning import TrialRecord, TrialState

if TYPE_CHECKING:
    from adapters.lightfm_engine.tuning.tuner import LightFMTuner

PROCESS = "rec_process"
PROCESS_NAME = f"{socket.gethostname()}:{os.getpid()}"  # which process ran a trial, for operators

AfterEpoch = Callable[[int, int], Awaitable[bool]]
"""(trial number, epoch) -> whether the trial goes on."""
PreparedFor = Callable[[bool], Awaitable[Prepared]]


@dataclass(frozen=True, slots=True)
class TrialSetting:
    tuner: LightFMTuner
    split: ValidationSplit
    prepared_for: PreparedFor
    after_epoch: AfterEpoch
    out_of_time: Callable[[], bool]


async def run_trial(setting: TrialSetting, study: optuna.Study, trial: optuna.Trial) -> TrialRecord:
    """Run `trial` and tell the study how it ended (also when it raised)."""
    params = suggest(trial)
    try:
        await asyncio.to_thread(trial.set_user_attr, PROCESS, PROCESS_NAME)
        prepared = await setting.prepared_for(params.normalize_features)
        record = await _TrialRun(setting, trial, params, prepared).execute()
    except BaseException:
        await asyncio.to_thread(fail, study, trial)
        raise
    await asyncio.to_thread(tell, study, trial, record)
    return record


class _TrialRun:
    def __init__(self, setting: TrialSetting, trial: optuna.Trial, params: TrainParams, prepared: Prepared):
        self._s, self._trial, self._params, self._prepared = setting, trial, params, prepared
        self._best: float | None = None
        self._best_epoch = 0

    async def execute(self) -> TrialRecord:
        tuner, params, split = self._s.tuner, self._params, self._s.split
        started = time.monotonic()
        inputs = await asyncio.to_thread(
            fit_inputs, self._prepared, params.loss, split.fit, tuner.user_balance
        )
        model = new_model(params, tuner.settings.seed)
        state, epoch, stale = TrialState.COMPLETE, 0, 0
        for epoch in range(1, params.epochs + 1):
            try:
                await asyncio.to_thread(fit_epoch, model, inputs, epoch, tuner.threads)
            except TrainingFailedError:
                return self._record(TrialState.FAILED, epoch, started)
            if not await self._s.after_epoch(self._trial.number, epoch):
                return self._record(TrialState.FAILED, epoch, started, stopped=True)
            last = epoch == params.epochs or self._s.out_of_time()
            if epoch % tuner.settings.eval_every and not last:
                continue
            improved = await self._check(model, epoch)
            stale = 0 if improved else stale + 1
            if last or stale >= tuner.settings.patience:
                break
            if await asyncio.to_thread(self._trial.should_prune):  # reads every process's trials
                state = TrialState.PRUNED
                break
        return self._record(state, epoch, started)

    async def _check(self, model: LightFM, epoch: int) -> bool:
        value = await asyncio.to_thread(self._s.tuner.validate, model, self._prepared, self._s.split)
        await asyncio.to_thread(self._trial.report, value, epoch)
        if self._best is not None and value <= self._best:
            return False
        self._best, self._best_epoch = value, epoch
        return True

    def _record(
        self, state: TrialState, epochs_run: int, started: float, stopped: bool = False
    ) -> TrialRecord:
        if self._best is None or stopped:
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

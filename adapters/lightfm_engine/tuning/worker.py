"""A tune-worker's part of a search: trials of the trainer's study, on the same data.

The worker reads the source itself, cuts it at the trainer's data cutoff and joins only when the
prepared data has the trainer's fingerprint (same users, titles, positives and their times), so its
trials are scored on the very split the trainer's are (the study says whether random or by time).
It then asks the shared study for trials until the study is closed (the search ended, was cancelled
or failed), its deadline passes, the budget is spent or `keep_going` says no; a trial running when
the study closes is stopped after its epoch and failed. Each running trial beats every
`HEARTBEAT_SECONDS`, so the trainer does not wait for a dead worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import optuna
import pandas as pd
import structlog

from adapters.lightfm_engine.prepare import Prepared, prepare
from adapters.lightfm_engine.tuning import study as shared
from adapters.lightfm_engine.tuning.study import SearchTerms
from adapters.lightfm_engine.tuning.trial import TrialSetting, run_trial
from adapters.source.tables import SourceTables
from application.ports import KeepGoing
from domain.tuning import TrialRecord, TuneValidation

if TYPE_CHECKING:
    from adapters.lightfm_engine.tuning.tuner import LightFMTuner

log = structlog.get_logger(__name__)

KEEP_GOING_SECONDS = 5.0  # how often `keep_going` (a registry read) is asked during a trial


def fingerprint(prepared: Prepared) -> str:
    digest = hashlib.sha256()
    ids = (prepared.users.ids, prepared.titles.ids, prepared.pos_rows, prepared.pos_cols)
    for values in (*ids, prepared.pos_first_us):  # the times too: a time split takes the newest
        digest.update(np.ascontiguousarray(values, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(prepared.pos_weights, dtype=np.float32).tobytes())
    return digest.hexdigest()


def cut_at(data: SourceTables, cutoff: str) -> SourceTables:
    """The interactions at or before `cutoff` (an ISO time; "" keeps all)."""
    if not cutoff:
        return data
    moment = pd.Timestamp(datetime.fromisoformat(cutoff).astimezone(UTC).replace(tzinfo=None))
    kept = data.interactions[data.interactions["created_at"] <= moment].reset_index(drop=True)
    return dataclasses.replace(data, interactions=kept)


class JoinedSearch:
    def __init__(self, tuner: LightFMTuner, search_id: str, data: SourceTables, keep_going: KeepGoing):
        self._tuner = tuner
        self._search_id = search_id
        self._data = data
        self._keep_going = keep_going
        self._prepared: dict[bool, Prepared] = {}
        self._asked_at = 0.0
        self._terms: SearchTerms | None = None
        self._study: optuna.Study | None = None

    async def run(self) -> int:
        tuner = self._tuner
        study = await asyncio.to_thread(tuner.store.load, self._search_id, tuner.sampler(), tuner.pruner())
        terms = await asyncio.to_thread(tuner.store.terms, study)
        if terms is None or not terms.open:
            return 0
        self._study, self._terms, self._data = study, terms, cut_at(self._data, terms.cutoff)
        base = await self._prepared_for(False)
        if await asyncio.to_thread(fingerprint, base) != terms.fingerprint:
            detail = "this worker's read of the source differs from the trainer's; not joining"
            log.warning("tune_worker_data_differs", search=self._search_id, detail=detail)
            return 0
        split = await asyncio.to_thread(tuner.split, base, 1, TuneValidation(terms.validation))
        setting = TrialSetting(tuner, split, self._prepared_for, self._after_epoch, self._out_of_time)
        ran = 0
        while await self._open(study):
            if await asyncio.to_thread(shared.started, study) >= terms.n_trials:
                break
            trial = await asyncio.to_thread(study.ask)
            if not await asyncio.to_thread(shared.within_budget, study, trial, terms.n_trials):
                await asyncio.to_thread(shared.skip, study, trial)
                break
            record = await self._beating(trial, run_trial(setting, study, trial))
            ran += 1
            log.info("tune_worker_trial", search=self._search_id, **record.to_dict())
        return ran

    async def _beating(self, trial: optuna.Trial, work: Awaitable[TrialRecord]) -> TrialRecord:
        async def beat() -> None:
            while True:
                await asyncio.to_thread(trial.set_user_attr, shared.HEARTBEAT, time.time())
                await asyncio.sleep(shared.HEARTBEAT_SECONDS)

        beating = asyncio.get_running_loop().create_task(beat())
        try:
            return await work
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beating

    async def _open(self, study: optuna.Study) -> bool:
        terms = await asyncio.to_thread(self._tuner.store.terms, study)
        if terms is None or not terms.open or self._out_of_time():
            return False
        self._asked_at = time.monotonic()
        return await self._keep_going()

    async def _after_epoch(self, trial: int, epoch: int) -> bool:
        if self._study is None:
            return False
        terms = await asyncio.to_thread(self._tuner.store.terms, self._study)
        if terms is None or not terms.open:
            return False  # the search ended (or was cancelled): this trial no longer counts
        if time.monotonic() - self._asked_at >= KEEP_GOING_SECONDS:
            self._asked_at = time.monotonic()
            return await self._keep_going()
        return True

    def _out_of_time(self) -> bool:
        return self._terms is None or time.time() >= self._terms.deadline

    async def _prepared_for(self, normalize: bool) -> Prepared:
        if normalize not in self._prepared:
            t = self._tuner
            self._prepared[normalize] = await asyncio.to_thread(
                prepare, self._data, t.rule, normalize, t.feature_scale
            )
        return self._prepared[normalize]

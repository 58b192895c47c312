"""`validation=time`: the split takes each user's newest positives, its confirmation the next-newest,
the tune-worker validates as the study says, and a tuning job records the mode with its version."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adapters.lightfm_engine.evaluate import split_holdout
from adapters.lightfm_engine.prepare import Prepared, prepare
from adapters.lightfm_engine.tuning.split import ValidationSplit, validation_split
from adapters.lightfm_engine.tuning.study import SearchTerms
from adapters.lightfm_engine.tuning.tuner import LightFMTuner
from adapters.lightfm_engine.tuning.worker import fingerprint
from adapters.source.tables import SourceTables
from application.tune_model import TuneCommand
from domain.training_job import JobStatus
from domain.tuning import DEFAULT_VALIDATION, TuneBudget, TuneValidation
from entrypoints.container import Container, alone
from entrypoints.settings import Settings
from tests.integration.test_tuning import FAST, RULE, synthetic, write_source

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def data() -> SourceTables:
    """The synthetic tables with event times shuffled, so that newest is not insertion order."""
    tables = synthetic()
    times = tables.interactions["created_at"].to_numpy()
    shuffled = tables.interactions.assign(created_at=np.random.default_rng(8).permutation(times))
    return SourceTables(shuffled, tables.titles, tables.title_features, tables.users, tables.user_features)


def per_user(prepared: Prepared, mask: np.ndarray) -> dict[int, list[int]]:
    """Positive indices of each user within `mask`, newest first."""
    found: dict[int, list[int]] = defaultdict(list)
    for index in np.flatnonzero(mask):
        found[int(prepared.pos_rows[index])].append(int(index))
    return {u: sorted(ix, key=lambda i: -prepared.pos_first_us[i]) for u, ix in found.items()}


def quota(n: int) -> int:
    return 0 if n < 2 else min(n - 1, max(1, round(0.2 * n)))


def validation_of(split: ValidationSplit, prepared: Prepared) -> np.ndarray:
    pairs = split.heldout.tocoo()
    keys = set(zip(pairs.row.tolist(), pairs.col.tolist(), strict=True))
    return np.array([(r, c) in keys for r, c in zip(prepared.pos_rows, prepared.pos_cols, strict=True)])


def test_the_time_split_validates_each_users_newest_positives(data: SourceTables) -> None:
    prepared = prepare(data, RULE)
    split = validation_split(prepared, 42, 0.2, 5000, validation=TuneValidation.TIME)
    engine = split_holdout(prepared.pos_rows, prepared.shape[0], 0.2, np.random.default_rng(42))
    validation = validation_of(split, prepared)
    assert not (validation & engine).any() and not (split.fit & (engine | validation)).any()
    assert (split.fit | engine | validation).all()  # draw 1 drops nothing
    chosen, fitted = per_user(prepared, validation), per_user(prepared, split.fit)
    for user, rest in per_user(prepared, ~engine).items():
        expected = rest[: quota(len(rest))]
        assert chosen.get(user, []) == expected
        assert len(fitted[user]) >= 1  # at least one training positive left
        if expected:  # strictly newer than what it fits on (times are distinct here)
            assert min(prepared.pos_first_us[expected]) > max(prepared.pos_first_us[fitted[user]])
    assert split.positives == int(validation.sum()) > 0
    random = validation_split(prepared, 42, 0.2, 5000, validation=TuneValidation.RANDOM)
    assert not np.array_equal(validation_of(random, prepared), validation)


def test_the_time_confirmation_takes_the_next_newest_and_fits_on_the_older(data: SourceTables) -> None:
    prepared = prepare(data, RULE)
    first = validation_of(validation_split(prepared, 42, 0.2, 5000, 1, TuneValidation.TIME), prepared)
    second_split = validation_split(prepared, 42, 0.2, 5000, 2, TuneValidation.TIME)
    second = validation_of(second_split, prepared)
    assert second.any() and not (second & first).any()
    assert not (second_split.fit & (first | second)).any()  # the newest: neither fitted nor validated
    newest, fitted = per_user(prepared, first), per_user(prepared, second_split.fit)
    for user, taken in per_user(prepared, second).items():
        assert max(prepared.pos_first_us[taken]) < min(prepared.pos_first_us[newest[user]])
        assert min(prepared.pos_first_us[taken]) > max(prepared.pos_first_us[fitted[user]])


class RecordingTuner(LightFMTuner):
    def __init__(self) -> None:
        super().__init__(RULE, threads=1, settings=FAST)
        self.splits: list[tuple[int, TuneValidation]] = []

    def split(
        self, prepared: Prepared, draw: int = 1, validation: TuneValidation = DEFAULT_VALIDATION
    ) -> ValidationSplit:
        self.splits.append((draw, validation))
        return super().split(prepared, draw, validation)


async def test_a_worker_validates_as_the_study_says(data: SourceTables) -> None:
    tuner = RecordingTuner()
    prepared = prepare(data, RULE)
    terms = SearchTerms("s-1", 4e9, 1, "", fingerprint(prepared), validation="time")
    assert SearchTerms.of(terms.attrs()) == terms
    await asyncio.to_thread(tuner.store.create, terms, tuner.sampler(1), tuner.pruner())

    async def keep_going() -> bool:
        return True

    assert await tuner.join("s-1", data, keep_going) == 1
    assert tuner.splits == [(1, TuneValidation.TIME)]


async def test_a_tune_job_with_time_validation_records_it_with_its_version(
    data: SourceTables, tmp_path: Path
) -> None:
    write_source(data, tmp_path / "source.db")
    container = alone(Container())
    settings = Settings(
        data_dir=tmp_path, source_url=f"sqlite+aiosqlite:///{tmp_path / 'source.db'}", train_cron="off",
        train_threads=1,
    )  # fmt: skip
    container.settings.override(settings)
    tuner = RecordingTuner()
    container.tuner.override(tuner)
    runtime = container.runtime()
    await runtime.start()
    try:
        command = TuneCommand(TuneBudget(n_trials=3, timeout_seconds=60), validation=TuneValidation.TIME)
        job = await container.tune_model().execute(command)
        assert job.status is JobStatus.SUCCEEDED, job.error
        assert tuner.splits[0] == (1, TuneValidation.TIME)  # the search's; then the confirmation's
        assert {validation for _, validation in tuner.splits} == {TuneValidation.TIME}
        stored = await container.registry().get_job(job.job_id)
        assert stored is not None and stored.tune_validation is TuneValidation.TIME
        version = await container.registry().get_version(job.model_id or "")
        assert version is not None and version.extra["tune"]["tune_validation"] == "time"
        expected = validation_split(prepare(data, RULE), 42, 0.2, 5000, validation=TuneValidation.TIME)
        assert version.metrics["tune_validation_positives"] == expected.positives
    finally:
        await runtime.stop()


def test_the_source_times_reach_the_prepared_positives(data: SourceTables) -> None:
    prepared = prepare(data, RULE)
    first = data.interactions.groupby(["user_id", "title_id"])["created_at"].min()
    user, title = prepared.users.ids[prepared.pos_rows[0]], prepared.titles.ids[prepared.pos_cols[0]]
    assert prepared.pos_first_us[0] == pd.Timestamp(first[(user, title)]).value // 1000

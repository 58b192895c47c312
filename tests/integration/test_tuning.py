"""The Optuna tuner on small synthetic data (real LightFM fits, seconds), alone and as a service job."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adapters.lightfm_engine.evaluate import split_holdout
from adapters.lightfm_engine.prepare import prepare
from adapters.lightfm_engine.tuning.split import validation_split
from adapters.lightfm_engine.tuning.tuner import LightFMTuner, TunerSettings
from adapters.source.tables import SourceTables
from application.recommend_for_user import RecommendQuery
from application.tune_model import TuneCommand
from domain.errors import JobCancelledError
from domain.interaction import PositiveRule
from domain.model_version import TrainParams
from domain.training_job import JobStatus, JobTrigger
from domain.tuning import TrialState, TuneBudget, TuneOutcome, TuneProgress
from entrypoints.container import Container, alone
from entrypoints.settings import Settings
from tools.demo_data import TABLES_SQL

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RULE = PositiveRule()
FAST = TunerSettings(eval_every=2, patience=2, warmup_epochs=2)


def synthetic(n_users: int = 150, n_titles: int = 120, seed: int = 3) -> SourceTables:
    """Users like one of four genres; titles have one genre each."""
    rng = np.random.default_rng(seed)
    genre = rng.integers(0, 4, n_titles)
    rows = []
    for user in range(1, n_users + 1):
        liked = rng.integers(0, 4)
        p = np.where(genre == liked, 1.0, 0.05)
        for title in rng.choice(n_titles, size=12, replace=False, p=p / p.sum()):
            rows.append((user, int(title) + 1, "rating", 5.0 if genre[title] == liked else 2.0))
    frame = pd.DataFrame(rows, columns=["user_id", "title_id", "int_type", "raw_score"])
    frame["created_at"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(len(frame)), unit="min")
    return SourceTables(
        interactions=frame,
        titles=pd.DataFrame({"id": np.arange(1, n_titles + 1, dtype=np.int64), "is_active": True}),
        title_features=pd.DataFrame(
            {"title_id": np.arange(1, n_titles + 1), "feature": [f"genre:{g}" for g in genre], "weight": 1.0}
        ),
        users=pd.DataFrame({"id": np.arange(1, n_users + 1, dtype=np.int64)}),
        user_features=pd.DataFrame(columns=["user_id", "feature", "weight"]),
    )


@pytest.fixture(scope="module")
def data() -> SourceTables:
    return synthetic()


def run(data: SourceTables, budget: TuneBudget, seen: list[TuneProgress] | None = None) -> TuneOutcome:
    async def record(where: TuneProgress) -> None:
        if seen is not None:
            seen.append(where)

    return asyncio.run(LightFMTuner(RULE, threads=1, settings=FAST).tune(data, budget, record))


def test_a_small_search_records_every_trial_and_starts_from_the_defaults(data: SourceTables) -> None:
    seen: list[TuneProgress] = []
    outcome = run(data, TuneBudget(n_trials=4, timeout_seconds=120), seen)
    assert outcome.stopped == "n_trials"
    assert [t.number for t in outcome.trials] == [0, 1, 2, 3]
    first = outcome.trials[0].params
    assert (first.loss, first.no_components, first.learning_rate) == ("warp", 100, 0.05)
    assert (first.item_alpha, first.user_alpha, first.normalize_features) == (0.0, 0.0, False)
    assert 1 <= first.epochs <= 30  # the epoch of its best validation check
    best = outcome.best
    assert best.state is TrialState.COMPLETE and best.value is not None
    confirmed = [t for t in outcome.trials if t.confirmation is not None]
    assert 2 <= len(confirmed) <= 3 and best in confirmed  # the best few, fitted again on a second split
    assert all(t.state is TrialState.COMPLETE for t in confirmed)
    assert best.merit == max(t.merit or 0.0 for t in confirmed)
    assert best.value > 0.05  # about 1.5 validation titles of 120 per user: random lists score ~0.013
    for trial in outcome.trials:
        assert TrainParams.from_dict(trial.params.to_dict()) == trial.params  # /admin/train parameters
        assert trial.epochs_run >= 1 and trial.seconds > 0
    assert outcome.validation_users > 0 and outcome.validation_positives >= outcome.validation_users
    assert [p.trials_done for p in seen] == sorted(p.trials_done for p in seen)
    assert {p.trial for p in seen} == {0, 1, 2, 3}


def test_the_validation_split_never_touches_the_engines_holdout(data: SourceTables) -> None:
    prepared = prepare(data, RULE)
    split = validation_split(prepared, seed=42, fraction=0.2, max_users=5000)
    engine_holdout = split_holdout(prepared.pos_rows, prepared.shape[0], 0.2, np.random.default_rng(42))
    validation = split.heldout.tocoo()
    keys = set(zip(validation.row.tolist(), validation.col.tolist(), strict=True))
    holdout = set(
        zip(
            prepared.pos_rows[engine_holdout].tolist(),
            prepared.pos_cols[engine_holdout].tolist(),
            strict=True,
        )
    )
    fitted = set(
        zip(prepared.pos_rows[split.fit].tolist(), prepared.pos_cols[split.fit].tolist(), strict=True)
    )
    assert keys and not keys & holdout and not keys & fitted and not fitted & holdout
    assert len(keys) == split.positives
    assert not split.exclude.multiply(split.heldout).nnz  # validation titles are ranked, other seen ones not


def test_the_timeout_bounds_the_search(data: SourceTables) -> None:
    outcome = run(data, TuneBudget(n_trials=500, timeout_seconds=1.5))
    assert outcome.stopped == "timeout"
    assert len(outcome.trials) < 500
    assert outcome.seconds < 1.5 + 2.0  # a running trial ends at the deadline (after its epoch)


def test_a_cancel_raised_by_the_callback_stops_the_search(data: SourceTables) -> None:
    async def cancel_in_second_trial(where: TuneProgress) -> None:
        if where.trial == 1 and where.epoch == 1:
            raise JobCancelledError("cancelled")

    tuner = LightFMTuner(RULE, threads=1, settings=FAST)
    with pytest.raises(JobCancelledError):
        asyncio.run(tuner.tune(data, TuneBudget(n_trials=5, timeout_seconds=60), cancel_in_second_trial))


def write_source(data: SourceTables, path: Path) -> None:
    """The synthetic tables as a SQLite source in the default schema."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(TABLES_SQL)
        frames = {
            "titles": data.titles.assign(name="t"),
            "title_features": data.title_features,
            "users": data.users,
            "interactions": data.interactions.assign(created_at=data.interactions["created_at"].astype(str)),
        }
        for table, frame in frames.items():
            columns = ", ".join(frame.columns)
            marks = ", ".join("?" for _ in frame.columns)
            rows = [tuple(v.item() if hasattr(v, "item") else v for v in row) for row in frame.to_numpy()]
            conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


async def test_a_tune_job_through_the_container_serves_the_best_trial(
    data: SourceTables, tmp_path: Path
) -> None:
    write_source(data, tmp_path / "source.db")
    container = alone(Container())
    container.settings.override(
        Settings(
            data_dir=tmp_path,
            source_url=f"sqlite+aiosqlite:///{tmp_path / 'source.db'}",
            train_cron="off",
            train_threads=1,
        )
    )
    container.tuner.override(LightFMTuner(RULE, threads=1, settings=FAST))
    runtime = container.runtime()
    await runtime.start()
    try:
        job = await container.tune_model().execute(TuneCommand(TuneBudget(n_trials=3, timeout_seconds=60)))
        assert job.status is JobStatus.SUCCEEDED, job.error
        assert job.trigger is JobTrigger.TUNE and job.progress == 1.0
        version = await container.registry().get_version(job.model_id or "")
        assert version is not None
        assert container.state().model_id == version.model_id
        history = version.extra["tune"]
        best = history["trials"][history["best_trial"]]
        assert TrainParams.from_dict(best["params"]) == version.params == job.params
        assert version.metrics["tune_trials"] == 3 == len(history["trials"])
        assert version.metrics["tune_best_value"] == pytest.approx(best["value"])
        assert 0.0 <= version.metrics["precision_at_10"] <= 1.0  # the final training's own holdout
        stored = await container.registry().get_job(job.job_id)
        assert stored is not None and stored.metrics == version.metrics
        listed = await container.recommend_for_user().execute(RecommendQuery(1, 5))
        assert listed.source.value == "model" and len(listed.items) == 5
    finally:
        await runtime.stop()

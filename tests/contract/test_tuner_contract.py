"""The `Tuner` contract, run against the fake tuner and the LightFM (Optuna) search: trials within the
budget, the best complete trial wins, progress reported per epoch, a raise from the callback stops
the search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.lightfm_engine.tuning.tuner import LightFMTuner, TunerSettings
from adapters.memory.tuner import FakeTuner
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_source_engine
from application.ports import TrainingData, Tuner
from domain.errors import JobCancelledError
from domain.interaction import PositiveRule
from domain.tuning import TrialState, TuneBudget, TuneProgress
from tests.contract.source_data import active, fill_source, memory_source
from tests.contract.test_engine_contract import TITLES, events

Make = Callable[[], Any]


@pytest.fixture(params=["fake", "lightfm"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Make:
    async def build() -> tuple[Tuner, TrainingData]:
        if request.param == "fake":
            return FakeTuner(), await memory_source(active(TITLES), events()).load_training_data()
        url = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
        await fill_source(url, active(TITLES), events(), user_ids=range(1, 41))
        engine = create_source_engine(url)
        try:
            data = await SqlAlchemyInteractionSource(engine, PositiveRule()).load_training_data()
        finally:
            await engine.dispose()
        fast = TunerSettings(eval_every=2, patience=2, warmup_epochs=2)
        return LightFMTuner(PositiveRule(), threads=1, settings=fast), data

    return build


async def test_trials_stay_within_the_budget_and_the_best_complete_one_wins(make: Make) -> None:
    tuner, data = await make()
    seen: list[TuneProgress] = []

    async def record(where: TuneProgress) -> None:
        seen.append(where)

    outcome = await tuner.tune(data, TuneBudget(n_trials=3, timeout_seconds=120), record)
    assert 1 <= len(outcome.trials) <= 3
    complete = [t for t in outcome.trials if t.state is TrialState.COMPLETE and t.value is not None]
    assert complete and outcome.best.value == max(t.value for t in complete if t.value is not None)
    assert seen and {where.trial for where in seen} <= {t.number for t in outcome.trials}
    assert all(where.epoch >= 1 for where in seen)


async def test_a_raise_from_the_callback_stops_the_search(make: Make) -> None:
    tuner, data = await make()

    async def cancel_in_the_second_trial(where: TuneProgress) -> None:
        if where.trial == 1:
            raise JobCancelledError("cancelled")

    with pytest.raises(JobCancelledError):
        await tuner.tune(data, TuneBudget(n_trials=3, timeout_seconds=120), cancel_in_the_second_trial)

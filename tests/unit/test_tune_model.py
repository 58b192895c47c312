"""Tuning as a job (contract 4.3 and 6), over the fakes: trigger, progress, history, cancel, 409."""

from __future__ import annotations

import asyncio
import json

import pytest

from adapters.memory.scheduler import InMemoryJobScheduler
from adapters.memory.tuner import FakeTuner
from application.cancel_job import CancelJob
from application.train_model import TrainCommand
from application.tune_model import TuneCommand, TuneModel
from domain.errors import InvalidArgumentError, TrainingAlreadyRunningError
from domain.model_version import TrainParams
from domain.training_job import JobStatus, JobTrigger, TrainingJob
from domain.tuning import TuneBudget
from tests.unit.conftest import World

BUDGET = TuneBudget(n_trials=3, timeout_seconds=60)


@pytest.fixture
def tuner(world: World) -> FakeTuner:
    world.tuner.values, world.tuner.epochs = (0.1, 0.3, 0.2), 2
    return world.tuner


def cancel_job(world: World) -> CancelJob:
    return CancelJob(world.ports.jobs, world.ports.clock, world.runner, InMemoryJobScheduler())


@pytest.fixture
def tune(world: World) -> TuneModel:
    return world.tune


async def finished(world: World, job_id: str) -> TrainingJob:
    for _ in range(200):
        job = world.registry.jobs[job_id]
        if job.status.finished:
            return job
        await asyncio.sleep(0.01)
    raise AssertionError(f"job {job_id} did not finish")


async def test_tuning_is_a_job_that_registers_and_activates_the_best_trial(
    world: World, tune: TuneModel
) -> None:
    job = await tune.execute(TuneCommand(BUDGET))
    assert job.status is JobStatus.SUCCEEDED
    assert job.trigger is JobTrigger.TUNE
    assert world.state.model_id == job.model_id  # activate defaults to true, as a manual training
    best = TrainParams(no_components=16, epochs=2)  # trial 1 scored 0.3
    assert world.engine.trained_with == [best]
    assert job.params == best
    version = world.registry.versions[job.model_id or ""]
    assert version.params == best
    assert version.extra["trigger"] == "tune"


async def test_the_search_history_is_in_the_version_metrics_and_extra(world: World, tune: TuneModel) -> None:
    job = await tune.execute(TuneCommand(BUDGET))
    version = world.registry.versions[job.model_id or ""]
    metrics = version.metrics
    assert metrics["tune_trials"] == 3
    assert metrics["tune_best_trial"] == 1
    assert metrics["tune_best_value"] == pytest.approx(0.3)
    assert [metrics[f"tune_trial_00{n}"] for n in range(3)] == pytest.approx([0.1, 0.3, 0.2])
    assert metrics["precision_at_10"] == pytest.approx(0.1)  # the final training's own evaluation
    assert job.metrics == metrics
    history = version.extra["tune"]
    json.dumps(history)  # stored as JSON in the registry
    assert [t["number"] for t in history["trials"]] == [0, 1, 2]
    assert history["trials"][1]["params"]["no_components"] == 16
    assert history["best_trial"] == 1
    assert history["budget"] == {"n_trials": 3, "timeout_seconds": 60}


async def test_failed_trials_are_recorded_but_never_chosen(
    world: World, tuner: FakeTuner, tune: TuneModel
) -> None:
    tuner.values = (None, 0.2)
    job = await tune.execute(TuneCommand(BUDGET))
    version = world.registry.versions[job.model_id or ""]
    assert version.metrics["tune_failed_trials"] == 1
    assert "tune_trial_000" not in version.metrics
    assert version.params.no_components == 16


async def test_activate_false_keeps_the_serving_model(world: World, tune: TuneModel) -> None:
    first = await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    job = await tune.execute(TuneCommand(BUDGET, activate=False))
    assert job.status is JobStatus.SUCCEEDED
    assert world.state.model_id == first.model_id
    assert job.activation == "not activated: activate=false"


async def test_progress_is_recorded_per_trial_epoch(world: World, tune: TuneModel) -> None:
    seen: list[tuple[float, str | None]] = []
    original = world.registry.save_job

    async def record(job: TrainingJob, fence: int | None = None) -> None:
        seen.append((job.progress, job.note))
        await original(job, fence)

    world.registry.save_job = record  # type: ignore[method-assign]
    await tune.execute(TuneCommand(BUDGET))
    progress = [p for p, _ in seen]
    assert progress == sorted(progress)
    search = [(p, note) for p, note in seen if note and note.startswith("tuning:")]
    assert len(search) == 6  # 3 trials x 2 epochs
    assert search[-1][0] == pytest.approx(0.9 * 2 / 3)  # two trials done when the third reports
    assert "trial 3 of at most 3" in (search[-1][1] or "")
    assert "best 0.3000 (trial 1)" in (search[-1][1] or "")
    assert progress[-1] == 1.0


async def test_cancel_stops_the_search_between_epochs(
    world: World, tuner: FakeTuner, tune: TuneModel
) -> None:
    gate = asyncio.Event()
    tuner.gate = gate
    running = await tune.submit(TuneCommand(BUDGET))
    assert running.status is JobStatus.RUNNING and running.trigger is JobTrigger.TUNE
    cancel = asyncio.create_task(cancel_job(world).execute(running.job_id))
    await asyncio.sleep(0.01)
    gate.set()
    cancelled = await cancel
    assert cancelled.status is JobStatus.CANCELLED
    assert world.engine.trained_with == []  # stopped in the search, before the final training
    assert world.guard.running_job_id is None
    assert world.state.model is None


async def test_one_training_or_tuning_at_a_time(world: World, tuner: FakeTuner, tune: TuneModel) -> None:
    gate = asyncio.Event()
    tuner.gate = gate
    running = await tune.submit(TuneCommand(BUDGET))
    with pytest.raises(TrainingAlreadyRunningError) as refused:
        await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    assert refused.value.job_id == running.job_id
    with pytest.raises(TrainingAlreadyRunningError):
        await tune.submit(TuneCommand(BUDGET))
    gate.set()
    done = await finished(world, running.job_id)
    assert done.status is JobStatus.SUCCEEDED
    again = await tune.execute(TuneCommand(BUDGET))  # free again once it ended
    assert again.status is JobStatus.SUCCEEDED


async def test_a_search_without_a_validated_trial_fails_the_job(
    world: World, tuner: FakeTuner, tune: TuneModel
) -> None:
    tuner.values = (None,)
    job = await tune.execute(TuneCommand(BUDGET))
    assert job.status is JobStatus.FAILED
    assert job.error and "no trial" in job.error
    assert world.guard.running_job_id is None


async def test_the_budget_is_passed_to_the_tuner(tuner: FakeTuner, tune: TuneModel) -> None:
    await tune.execute(TuneCommand(TuneBudget(n_trials=2, timeout_seconds=5)))
    assert tuner.budgets == [TuneBudget(2, 5)]


@pytest.mark.parametrize(
    ("n_trials", "timeout"), [(0, 10), (501, 10), (10, 0), (10, 7201), (True, 10), (10, float("nan"))]
)
def test_budget_bounds(n_trials: int, timeout: float) -> None:
    with pytest.raises(InvalidArgumentError):
        TuneBudget(n_trials, timeout)

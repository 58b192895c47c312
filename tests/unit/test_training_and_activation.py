from __future__ import annotations

import asyncio

import pytest

from application.train_model import TrainCommand
from domain.errors import ArtifactError, NotFoundError, TrainingAlreadyRunningError
from domain.model_version import TrainParams
from domain.training_job import JobStatus, JobTrigger
from tests.unit.conftest import World, hold_training

FAST = TrainParams(epochs=3)


async def test_training_registers_activates_and_records_the_job(world: World) -> None:
    job = await world.train.execute(TrainCommand(FAST))
    assert job.status is JobStatus.SUCCEEDED
    assert job.model_id in world.registry.versions
    assert world.registry.active == job.model_id
    assert world.state.model_id == job.model_id
    assert job.progress == 1.0
    assert job.activation and job.activation.startswith("activated")
    stored = world.registry.jobs[job.job_id]
    assert stored.status is JobStatus.SUCCEEDED
    version = world.registry.versions[job.model_id]
    assert version.dataset.n_interactions == 35  # bookmarks only; the low rating is no positive


async def test_training_with_activate_false_keeps_the_old_model(world: World) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    second = await world.train.execute(TrainCommand(FAST, activate=False))
    assert second.status is JobStatus.SUCCEEDED
    assert world.state.model_id == first.model_id
    assert second.activation == "not activated: activate=false"


async def test_training_without_positives_fails_the_job(world: World) -> None:
    world.source.interactions.clear()
    job = await world.train.execute(TrainCommand(FAST))
    assert job.status is JobStatus.FAILED
    assert job.error and "no positive" in job.error
    assert world.state.model is None
    assert world.registry.jobs[job.job_id].status is JobStatus.FAILED


async def test_source_down_fails_the_job_and_old_model_keeps_serving(world: World) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    world.source.available = False
    job = await world.train.execute(TrainCommand(FAST))
    assert job.status is JobStatus.FAILED
    assert job.error and "switched off" in job.error
    assert world.state.model_id == first.model_id


async def test_only_one_training_at_a_time(world: World) -> None:
    gate = hold_training(world)
    running = await world.train.submit(TrainCommand(FAST))
    with pytest.raises(TrainingAlreadyRunningError) as refused:
        await world.train.execute(TrainCommand(FAST))
    assert refused.value.job_id == running.job_id
    gate.set()
    await asyncio.sleep(0.05)
    assert world.registry.jobs[running.job_id].status is JobStatus.SUCCEEDED
    assert world.guard.running_job_id is None


async def test_cancel_stops_after_the_current_epoch(world: World) -> None:
    calls: list[int] = []
    original = world.registry.save_job

    async def save_and_cancel(job, fence=None):  # type: ignore[no-untyped-def]
        await original(job, fence)
        if job.progress > 0 and job.status is JobStatus.RUNNING:
            calls.append(1)
            world.guard.request_cancel(job.job_id)

    world.registry.save_job = save_and_cancel  # type: ignore[method-assign]
    job = await world.train.execute(TrainCommand(TrainParams(epochs=10)))
    assert job.status is JobStatus.CANCELLED
    assert len(calls) == 1
    assert job.progress == pytest.approx(0.1)  # stopped after the first of ten epochs
    assert world.state.model is None


async def test_startup_trigger_is_recorded(world: World) -> None:
    job = await world.train.execute(TrainCommand(FAST, trigger=JobTrigger.STARTUP))
    assert world.registry.jobs[job.job_id].trigger is JobTrigger.STARTUP


async def test_activation_switches_versions_and_survives_restore(world: World) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    second = await world.train.execute(TrainCommand(FAST))
    assert first.model_id and second.model_id
    view = await world.activate.execute(first.model_id)
    assert view.is_active and world.state.model_id == first.model_id
    world.state.model = None  # a restart forgets memory; the registry remembers
    assert await world.activate.restore() == first.model_id
    assert world.state.model_id == first.model_id


async def test_corrupted_artifact_is_refused_and_old_model_keeps_serving(world: World) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    second = await world.train.execute(TrainCommand(FAST, activate=False))
    assert first.model_id and second.model_id
    world.artifacts.corrupt(second.model_id)
    with pytest.raises(ArtifactError):
        await world.activate.execute(second.model_id)
    assert world.state.model_id == first.model_id
    assert world.registry.active == first.model_id


async def test_unknown_model_cannot_be_activated(world: World) -> None:
    with pytest.raises(NotFoundError):
        await world.activate.execute("nope")

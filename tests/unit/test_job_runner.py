"""The job machinery and the use cases over it: cancel of a running job, drain, the scheduler's callback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from adapters.memory.scheduler import InMemoryJobScheduler
from adapters.memory.stores import SteppingClock
from application.cancel_job import CancelJob
from application.job_dispatcher import JobDispatcher
from application.run_scheduled_job import RunScheduledJob
from application.schedule_training import ScheduleTraining
from application.train_model import TrainCommand
from domain.model_version import TrainParams
from domain.training_job import JobStatus, JobTrigger
from tests.unit.conftest import World, hold_training

FAST = TrainParams(epochs=2)


async def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def cancel_job(world: World) -> CancelJob:
    return CancelJob(
        world.ports.jobs, world.ports.clock, world.runner, InMemoryJobScheduler(), wait_seconds=5.0
    )


async def test_cancel_of_a_running_job_stops_it_after_its_step(world: World) -> None:
    gate = hold_training(world)
    running = await world.train.submit(TrainCommand(FAST))
    cancelling = asyncio.create_task(cancel_job(world).execute(running.job_id))
    await asyncio.sleep(0.02)
    assert not cancelling.done()  # it waits for the job to end, not only for the flag
    gate.set()
    cancelled = await cancelling
    assert cancelled.status is JobStatus.CANCELLED and cancelled.job_id == running.job_id
    assert world.registry.jobs[running.job_id].status is JobStatus.CANCELLED
    assert world.registry.versions == {} and world.state.model is None
    assert world.runner.running_job_id is None


async def test_a_job_left_running_by_another_process_is_cancelled_in_the_store(world: World) -> None:
    stale = (
        TrainCommand(FAST)
        .new_job("j-stale", datetime(2026, 1, 1, tzinfo=UTC))
        .start(datetime(2026, 1, 1, tzinfo=UTC))
    )
    await world.registry.save_job(stale)
    cancelled = await cancel_job(world).execute("j-stale")
    assert cancelled.status is JobStatus.CANCELLED
    assert world.registry.jobs["j-stale"].status is JobStatus.CANCELLED


async def test_drain_stops_the_running_job_and_waits_for_its_record(world: World) -> None:
    gate = hold_training(world)
    running = await world.train.submit(TrainCommand(FAST))
    draining = asyncio.create_task(world.runner.drain(5.0))
    await asyncio.sleep(0.02)
    assert not draining.done()
    gate.set()
    await draining
    assert world.registry.jobs[running.job_id].status is JobStatus.CANCELLED
    assert world.runner.running_job_id is None


async def test_drain_is_bounded_by_its_wait(world: World) -> None:
    gate = hold_training(world)
    running = await world.train.submit(TrainCommand(FAST))
    await asyncio.wait_for(world.runner.drain(0.05), timeout=2.0)
    assert world.registry.jobs[running.job_id].status is JobStatus.RUNNING  # still held
    gate.set()
    await wait_until(lambda: world.registry.jobs[running.job_id].status.finished)


async def test_a_waiting_note_is_not_a_decision_and_clears_when_the_job_runs(world: World) -> None:
    gate = hold_training(world)
    running = await world.train.submit(TrainCommand(FAST))
    p, scheduler = world.ports, InMemoryJobScheduler()
    job = await ScheduleTraining(p.jobs, p.clock, p.ids, scheduler).execute(
        TrainCommand(FAST, JobTrigger.SCHEDULED), datetime(2030, 1, 1, tzinfo=UTC)
    )
    waiter = asyncio.create_task(RunScheduledJob(world.runner, world.pipeline).execute(job.job_id))
    await wait_until(lambda: world.registry.jobs[job.job_id].note is not None)
    assert world.registry.jobs[job.job_id].note == f"waiting: job {running.job_id} is running"
    assert world.registry.jobs[job.job_id].activation is None
    gate.set()
    finished = await waiter
    assert finished is not None and finished.status is JobStatus.SUCCEEDED
    assert finished.note is None and finished.activation is not None


def dispatcher_at(world: World, now: datetime) -> JobDispatcher:
    """The trainer's dispatcher over the world's job table, its clock at `now`."""
    election = world.container.trainer_election()
    return JobDispatcher(
        world.registry, SteppingClock(now), world.runner, world.pipeline, world.tune, election
    )


async def test_the_dispatcher_runs_a_scheduled_job_at_its_time_once(world: World) -> None:
    p = world.ports
    soon = datetime(2030, 1, 1, tzinfo=UTC)
    schedule = ScheduleTraining(p.jobs, p.clock, p.ids, dispatcher_at(world, soon))
    job = await schedule.execute(TrainCommand(FAST, JobTrigger.SCHEDULED, activate=None), soon)
    await dispatcher_at(world, soon - timedelta(seconds=10)).tick()  # not due yet
    await asyncio.sleep(0.02)
    assert world.registry.jobs[job.job_id].status is JobStatus.SCHEDULED
    dispatcher = dispatcher_at(world, soon)
    await dispatcher.tick()
    await dispatcher.tick()  # seen due twice while it waits or runs: still one run
    await wait_until(lambda: world.registry.jobs[job.job_id].status.finished)
    assert len(world.registry.versions) == 1
    finished = world.registry.jobs[job.job_id]
    assert finished.status is JobStatus.SUCCEEDED and finished.trigger is JobTrigger.SCHEDULED
    assert world.state.model_id == finished.model_id

"""A job stored or a cancel asked on a follower is announced, and the trainer's dispatcher looks at the
job table at once rather than at its next poll (contract section 10: about 1 s with Redis)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from application.train_model import TrainCommand
from application.tune_model import TuneCommand
from domain.model_version import TrainParams
from domain.training_job import JobStatus
from domain.tuning import TuneBudget
from tests.unit.fleet import Replica, new_fleet
from tests.unit.test_trainer_fleet import hold, wait_until

FAST = TrainParams(epochs=3)
NEVER = 3600.0  # the dispatcher's poll: only the announcement can explain a pickup


@contextlib.asynccontextmanager
async def dispatching_slowly(replica: Replica) -> AsyncIterator[None]:
    replica.dispatcher._poll_seconds = NEVER
    task = asyncio.create_task(replica.dispatcher.run_forever())
    await asyncio.sleep(0.01)  # its first look is over: it waits for a wake-up or the poll
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_training_and_a_tuning_accepted_by_a_follower_wake_the_trainer() -> None:
    fleet = new_fleet()
    trainer = fleet.replica("t", broadcast=True)
    follower = fleet.replica("f", candidate=False, broadcast=True)
    await trainer.step()
    async with dispatching_slowly(trainer), asyncio.timeout(5):
        job = await follower.train.execute(TrainCommand(FAST))
        running = await follower.tune.submit(TuneCommand(TuneBudget(2, 60), activate=False))
        await wait_until(lambda: fleet.registry.jobs[running.job_id].status.finished)
    assert job.status is JobStatus.SUCCEEDED and trainer.engine.trained_with[0] == FAST
    assert fleet.registry.jobs[running.job_id].status is JobStatus.SUCCEEDED
    assert trainer.tuner.budgets == [TuneBudget(2, 60)] and follower.engine.trained_with == []


async def test_a_cancel_asked_of_a_follower_stops_the_trainers_job_at_once() -> None:
    fleet = new_fleet()
    trainer = fleet.replica("t", broadcast=True)
    follower = fleet.replica("f", candidate=False, broadcast=True)
    await trainer.step()
    gate = hold(trainer)
    async with dispatching_slowly(trainer), asyncio.timeout(5):
        running = await follower.train.submit(TrainCommand(FAST))
        assert running.status is JobStatus.RUNNING
        cancelling = asyncio.create_task(follower.cancel.execute(running.job_id))
        await asyncio.sleep(0.2)  # the trainer, woken, asks its job to stop after the epoch
        gate.set()  # the epoch ends (unwoken, the job would run on and succeed)
        cancelled = await cancelling
    assert cancelled.status is JobStatus.CANCELLED
    assert fleet.registry.versions == {}


async def test_without_the_announcement_the_trainer_waits_for_its_poll() -> None:
    fleet = new_fleet()
    trainer = fleet.replica("t", broadcast=True)
    follower = fleet.replica("f", candidate=False)  # not on the bus: nothing announced
    await trainer.step()
    async with dispatching_slowly(trainer):
        submitted = asyncio.create_task(follower.train.execute(TrainCommand(FAST)))
        await asyncio.sleep(0.3)
        assert not submitted.done() and trainer.engine.trained_with == []
        trainer.dispatcher.wake()  # what the poll would do, in the end
        job = await asyncio.wait_for(submitted, 5)
    assert job.status is JobStatus.SUCCEEDED

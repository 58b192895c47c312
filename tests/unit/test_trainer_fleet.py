"""Several processes, one registry (contract section 10): the election, fencing, and admin trainings
accepted by any replica and run by the trainer. Each replica is the real use-case graph over fakes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from application.recover_jobs import INTERRUPTED
from application.train_model import TrainCommand
from application.trainer_election import Change
from application.tune_model import TuneCommand
from domain.errors import LeaseLostError, NoTrainerError, TrainingAlreadyRunningError
from domain.model_version import TrainParams
from domain.trainer_lease import LOST_LEASE
from domain.training_job import JobStatus, JobTrigger
from domain.tuning import TuneBudget, TuneValidation
from tests.unit.fleet import LEASE_SECONDS, Fleet, Replica, new_fleet

FAST = TrainParams(epochs=3)


async def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def hold(replica: Replica) -> asyncio.Event:
    """Make the replica's engine wait at its first epoch until the returned event is set."""
    gate = asyncio.Event()
    original = replica.engine.train

    async def held(data, params, on_epoch, *rest):  # type: ignore[no-untyped-def]
        async def gated(done: int, total: int) -> None:
            await on_epoch(done, total)
            await gate.wait()

        return await original(data, params, gated, *rest)

    replica.engine.train = held  # type: ignore[method-assign]
    return gate


@contextlib.asynccontextmanager
async def dispatching(replica: Replica) -> AsyncIterator[None]:
    """The trainer's dispatcher loop, polling fast."""
    replica.dispatcher._poll_seconds = 0.01
    task = asyncio.create_task(replica.dispatcher.run_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def fleet() -> Fleet:
    return new_fleet()


# --- the election --------------------------------------------------------------------------
async def test_one_candidate_holds_the_lease_and_another_takes_it_once_it_expires(fleet: Fleet) -> None:
    a, b = fleet.replica("a"), fleet.replica("b")
    assert await a.step() is Change.GAINED and a.election.holds_lease
    assert await b.step() is None and not b.election.is_trainer
    fleet.clock.advance(LEASE_SECONDS / 3)
    assert await a.step() is None and a.election.holds_lease  # renewed
    assert await b.step() is None
    first = fleet.registry.lease.epoch

    fleet.clock.advance(LEASE_SECONDS + 0.1)  # a stops renewing (paused, partitioned, dead)
    assert not a.election.holds_lease  # past its own deadline, it no longer counts itself trainer
    with pytest.raises(LeaseLostError):
        a.election.job_fence()
    assert await b.step() is Change.GAINED
    assert fleet.registry.lease.epoch == first + 1 and b.election.job_fence() == first + 1
    assert await a.step() is Change.LOST
    assert await a.step() is None and not a.election.is_trainer  # b's lease is live


async def test_a_released_lease_is_taken_at_once(fleet: Fleet) -> None:
    a, b = fleet.replica("a"), fleet.replica("b")
    await a.step()
    await a.election.release()
    assert await b.step() is Change.GAINED


async def test_a_process_that_is_no_candidate_never_takes_the_lease(fleet: Fleet) -> None:
    follower = fleet.replica("f", candidate=False)
    assert await follower.step() is None
    assert fleet.registry.lease.holder is None and not follower.election.is_trainer


# --- fencing -------------------------------------------------------------------------------
async def test_a_trainer_that_lost_its_lease_stops_after_the_epoch_and_writes_nothing_else(
    fleet: Fleet,
) -> None:
    a, b = fleet.replica("a"), fleet.replica("b")
    await a.step()
    gate = hold(a)
    running = await a.train.submit(TrainCommand(FAST))
    assert running.runner == fleet.registry.lease.epoch
    fleet.clock.advance(LEASE_SECONDS + 1)
    assert await b.step() is Change.GAINED  # a's job is marked interrupted by b, the new trainer
    assert fleet.registry.jobs[running.job_id].error == INTERRUPTED
    gate.set()
    await wait_until(lambda: a.runner.running_job_id is None)
    assert fleet.registry.versions == {} and fleet.registry.active is None  # no version, no activation
    assert fleet.registry.refused >= 1
    assert fleet.registry.jobs[running.job_id].status is JobStatus.FAILED
    assert fleet.registry.jobs[running.job_id].error == INTERRUPTED  # a's late end did not overwrite it


async def test_a_lost_lease_fails_the_running_training_with_that_reason(fleet: Fleet) -> None:
    a, b = fleet.replica("a"), fleet.replica("b")
    await a.step()
    gate = hold(a)
    running = await a.train.submit(TrainCommand(FAST))
    fleet.clock.advance(LEASE_SECONDS + 1)
    assert await a.step() is Change.LOST  # a notices first: nobody has taken over yet
    gate.set()
    await wait_until(lambda: fleet.registry.jobs[running.job_id].status.finished)
    job = fleet.registry.jobs[running.job_id]
    assert job.status is JobStatus.FAILED and job.error == LOST_LEASE
    assert fleet.registry.versions == {}
    assert await b.step() is Change.GAINED


async def test_a_stale_trainers_version_and_activation_are_refused(fleet: Fleet) -> None:
    a, b = fleet.replica("a"), fleet.replica("b")
    await a.step()
    stale = fleet.registry.lease.epoch
    fleet.clock.advance(LEASE_SECONDS + 1)
    await b.step()
    job = await b.train.execute(TrainCommand(FAST))
    assert job.status is JobStatus.SUCCEEDED and fleet.registry.active == job.model_id
    version = fleet.registry.versions[job.model_id]
    with pytest.raises(LeaseLostError):
        await fleet.registry.add_version(version, fence=stale)
    with pytest.raises(LeaseLostError):
        await fleet.registry.set_active("model-elsewhere", fence=stale)
    assert fleet.registry.active == job.model_id


# --- trainings accepted by any replica -----------------------------------------------------
async def test_a_training_asked_of_a_follower_runs_on_the_trainer_and_waits_for_it(fleet: Fleet) -> None:
    trainer, follower = fleet.replica("t"), fleet.replica("f", candidate=False)
    await trainer.step()
    async with dispatching(trainer):
        job = await follower.train.execute(TrainCommand(FAST))
    assert job.status is JobStatus.SUCCEEDED and job.model_id is not None
    assert trainer.engine.trained_with == [FAST] and follower.engine.trained_with == []
    assert job.runner == fleet.registry.lease.epoch
    assert fleet.registry.active == job.model_id and trainer.state.model_id == job.model_id


async def test_wait_false_returns_the_running_job_and_a_second_training_anywhere_is_409(
    fleet: Fleet,
) -> None:
    trainer, follower = fleet.replica("t"), fleet.replica("f", candidate=False)
    await trainer.step()
    gate = hold(trainer)
    async with dispatching(trainer):
        running = await follower.train.submit(TrainCommand(FAST))
        assert running.status is JobStatus.RUNNING
        with pytest.raises(TrainingAlreadyRunningError) as busy:
            await follower.train.submit(TrainCommand(FAST))
        assert busy.value.job_id == running.job_id
        with pytest.raises(TrainingAlreadyRunningError):
            await trainer.train.submit(TrainCommand(FAST))
        gate.set()
        await wait_until(lambda: fleet.registry.jobs[running.job_id].status is JobStatus.SUCCEEDED)


async def test_a_submitted_job_the_trainer_finds_busy_is_refused_with_409(fleet: Fleet) -> None:
    trainer, follower = fleet.replica("t"), fleet.replica("f", candidate=False)
    await trainer.step()
    gate = hold(trainer)
    pending = follower.runner.new_job(TrainCommand(FAST))
    await fleet.registry.submit_job(pending, fleet.clock.now())  # stored, not picked up yet
    local = await trainer.train.submit(TrainCommand(FAST))  # the trainer starts one of its own
    waiting = asyncio.create_task(follower.train.execute(TrainCommand(FAST)))
    async with dispatching(trainer):
        await wait_until(lambda: fleet.registry.jobs[pending.job_id].status is JobStatus.FAILED)
        with pytest.raises(TrainingAlreadyRunningError):
            await waiting  # refused at submit: `pending` waits
        gate.set()
    assert (
        fleet.registry.jobs[pending.job_id].error
        == f"not started: training job {local.job_id} was already running"
    )


async def test_without_a_live_trainer_an_immediate_training_is_503_and_a_schedule_is_stored(
    fleet: Fleet,
) -> None:
    follower = fleet.replica("f", candidate=False)
    with pytest.raises(NoTrainerError):
        await follower.train.execute(TrainCommand(FAST))
    with pytest.raises(NoTrainerError):
        await follower.tune.submit(TuneCommand(TuneBudget(2, 60)))
    assert fleet.registry.jobs == {}
    schedule = follower.container.schedule_training()
    job = await schedule.execute(
        TrainCommand(FAST, JobTrigger.SCHEDULED), fleet.clock.now().replace(year=2030)
    )
    assert fleet.registry.jobs[job.job_id].status is JobStatus.SCHEDULED


async def test_a_tuning_asked_of_a_follower_runs_on_the_trainer_with_its_budget(fleet: Fleet) -> None:
    trainer, follower = fleet.replica("t"), fleet.replica("f", candidate=False)
    await trainer.step()
    async with dispatching(trainer):
        command = TuneCommand(TuneBudget(2, 60), activate=False, validation=TuneValidation.TIME)
        running = await follower.tune.submit(command)
        await wait_until(lambda: fleet.registry.jobs[running.job_id].status.finished)
    job = fleet.registry.jobs[running.job_id]
    assert job.status is JobStatus.SUCCEEDED and job.trigger is JobTrigger.TUNE
    assert trainer.tuner.budgets == [TuneBudget(2, 60)] and follower.tuner.budgets == []
    assert trainer.tuner.validations == [TuneValidation.TIME]  # the split travelled with the job
    assert fleet.registry.active is None  # activate=false travelled with the job


async def test_a_schedule_stored_anywhere_runs_once_on_the_trainer(fleet: Fleet) -> None:
    trainer, follower = fleet.replica("t"), fleet.replica("f", candidate=False)
    await trainer.step()
    run_at = fleet.clock.now().replace(year=2027)
    job = await follower.container.schedule_training().execute(
        TrainCommand(FAST, JobTrigger.SCHEDULED), run_at
    )
    fleet.clock.moment = run_at  # its time comes (the wall clock only: the lease stays held)
    async with dispatching(trainer):
        await wait_until(lambda: fleet.registry.jobs[job.job_id].status.finished)
        await asyncio.sleep(0.05)  # more polls: still one run
    assert fleet.registry.jobs[job.job_id].status is JobStatus.SUCCEEDED
    assert len(trainer.engine.trained_with) == 1 and len(fleet.registry.versions) == 1


async def test_a_cancel_asked_of_a_follower_stops_the_job_on_the_trainer(fleet: Fleet) -> None:
    trainer, follower = fleet.replica("t"), fleet.replica("f", candidate=False)
    await trainer.step()
    gate = hold(trainer)
    running = await trainer.train.submit(TrainCommand(FAST))
    async with dispatching(trainer):
        cancelling = asyncio.create_task(follower.cancel.execute(running.job_id))
        await wait_until(lambda: running.job_id in fleet.registry.cancels)
        guard = trainer.container.guard()
        await wait_until(lambda: guard.cancel_requested(running.job_id))  # the dispatcher forwarded it
        gate.set()
        cancelled = await cancelling
    assert cancelled.status is JobStatus.CANCELLED and fleet.registry.versions == {}


async def test_a_job_left_running_is_ended_by_the_next_trainer_only(fleet: Fleet) -> None:
    a, b, follower = fleet.replica("a"), fleet.replica("b"), fleet.replica("f", candidate=False)
    await a.step()
    hold(a)
    left = await a.train.submit(TrainCommand(FAST))
    asked = a.runner.new_job(TrainCommand(FAST)).start(fleet.clock.now(), runner=a.election.job_fence())
    await fleet.registry.save_job(asked)
    await fleet.registry.request_cancel(asked.job_id)  # asked of a replica before a died
    fleet.clock.advance(LEASE_SECONDS + 1)
    assert await follower.step() is None
    assert fleet.registry.jobs[left.job_id].status is JobStatus.RUNNING  # a follower never ends it
    assert await b.step() is Change.GAINED
    assert fleet.registry.jobs[left.job_id].status is JobStatus.FAILED
    assert fleet.registry.jobs[left.job_id].error == INTERRUPTED
    assert fleet.registry.jobs[asked.job_id].status is JobStatus.CANCELLED  # its cancel was asked

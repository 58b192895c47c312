"""Scheduling, recovery, cancellation, the activation policy, retention, partial mode, followers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.scheduler import InMemoryJobScheduler
from application.cancel_job import CancelJob
from application.recover_jobs import INTERRUPTED
from application.retention import ApplyRetention
from application.run_daily_training import RunDailyTraining
from application.run_scheduled_job import RunScheduledJob
from application.schedule_training import ScheduleTraining
from application.train_model import TrainCommand
from application.training_pipeline import TrainingPolicy
from domain.activation_policy import AutoActivate, ForwardScores, decide_activation
from domain.errors import ConflictError, InvalidArgumentError, NotFoundError
from domain.model_version import TrainParams
from domain.training_job import JobStatus, JobTrigger, TrainMode
from tests.unit.conftest import World, build_world, hold_training

FAST = TrainParams(epochs=2)
FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass
class Jobs:
    """The use cases that schedule, run and cancel jobs, over the world's job machinery."""

    scheduler: InMemoryJobScheduler
    schedule: ScheduleTraining
    run_scheduled: RunScheduledJob
    run_daily: RunDailyTraining
    cancel: CancelJob


def jobs_for(world: World) -> Jobs:
    scheduler, p = InMemoryJobScheduler(), world.ports
    run_scheduled = RunScheduledJob(world.runner, world.pipeline)
    return Jobs(
        scheduler,
        ScheduleTraining(p.jobs, p.clock, p.ids, scheduler),
        run_scheduled,
        RunDailyTraining(p.jobs, p.clock, p.ids, run_scheduled),
        CancelJob(p.jobs, p.clock, world.runner, scheduler, wait_seconds=5.0),
    )


@pytest.fixture
def jobs(world: World) -> Jobs:
    return jobs_for(world)


# --- the policy ----------------------------------------------------------------------------
def test_explicit_activate_wins() -> None:
    decision = decide_activation(
        AutoActivate.NEVER, explicit=True, active_size=10, candidate_size=1, forward=None
    )
    assert decision.activate and "activate=true" in decision.reason


def test_first_model_is_always_activated() -> None:
    assert decide_activation(
        AutoActivate.NEVER, explicit=None, active_size=None, candidate_size=5, forward=None
    ).activate


@pytest.mark.parametrize(
    ("candidate_size", "forward", "expected"),
    [
        (1000, ForwardScores(600, 0.20, 0.20), True),
        (1000, ForwardScores(600, 0.196, 0.20), True),  # within the 0.005 tolerance
        (1000, ForwardScores(600, 0.19, 0.20), False),
        (790, ForwardScores(600, 0.50, 0.20), False),  # size guard: < 80 % of 1000
        (800, ForwardScores(100, 0.01, 0.20), True),  # < 500 forward positives: the size guard alone
        (700, None, False),
    ],
)
def test_if_better(candidate_size: int, forward: ForwardScores | None, expected: bool) -> None:
    decision = decide_activation(
        AutoActivate.IF_BETTER,
        explicit=None,
        active_size=1000,
        candidate_size=candidate_size,
        forward=forward,
    )
    assert decision.activate is expected
    assert decision.reason.startswith("activated" if expected else "not activated")


# --- scheduling ----------------------------------------------------------------------------
async def test_schedule_refuses_the_past(world: World, jobs: Jobs) -> None:
    with pytest.raises(InvalidArgumentError, match="past"):
        await jobs.schedule.execute(TrainCommand(FAST), datetime(2020, 1, 1, tzinfo=UTC))


async def test_scheduled_job_is_durable_and_runs(world: World, jobs: Jobs) -> None:
    scheduler = jobs.scheduler
    job = await jobs.schedule.execute(TrainCommand(FAST, JobTrigger.SCHEDULED, activate=None), FUTURE)
    assert world.registry.jobs[job.job_id].status is JobStatus.SCHEDULED
    assert scheduler.scheduled == {job.job_id: FUTURE}
    finished = await jobs.run_scheduled.execute(job.job_id)
    assert finished is not None and finished.status is JobStatus.SUCCEEDED
    assert finished.activation == "activated: no version was active"
    assert world.state.model_id == finished.model_id


async def test_cancelled_scheduled_job_does_not_run(world: World, jobs: Jobs) -> None:
    scheduler = jobs.scheduler
    job = await jobs.schedule.execute(TrainCommand(FAST, JobTrigger.SCHEDULED), FUTURE)
    cancelled = await jobs.cancel.execute(job.job_id)
    assert cancelled.status is JobStatus.CANCELLED and scheduler.scheduled == {}
    again = await jobs.run_scheduled.execute(job.job_id)
    assert again is not None and again.status is JobStatus.CANCELLED
    assert world.registry.versions == {}
    with pytest.raises(ConflictError):
        await jobs.cancel.execute(job.job_id)
    with pytest.raises(NotFoundError):
        await jobs.cancel.execute("nope")


async def test_scheduled_job_waits_for_a_running_one(world: World, jobs: Jobs) -> None:
    gate = hold_training(world)
    running = await world.train.submit(TrainCommand(FAST))
    job = await jobs.schedule.execute(TrainCommand(FAST, JobTrigger.SCHEDULED), FUTURE)
    waiter = asyncio.create_task(jobs.run_scheduled.execute(job.job_id))
    await asyncio.sleep(0.01)
    waiting = world.registry.jobs[job.job_id]
    assert waiting.status is JobStatus.SCHEDULED and running.job_id in (waiting.note or "")
    assert waiting.activation is None  # a note, not a decision
    gate.set()
    finished = await waiter
    assert finished is not None and finished.status is JobStatus.SUCCEEDED
    assert world.registry.jobs[running.job_id].status is JobStatus.SUCCEEDED


async def test_daily_run_follows_the_policy(world: World, jobs: Jobs) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    daily = await jobs.run_daily.execute()
    assert daily is not None and daily.trigger is JobTrigger.DAILY and daily.status is JobStatus.SUCCEEDED
    assert daily.activation and "size guard" in daily.activation  # no forward positives here
    assert world.state.model_id == daily.model_id != first.model_id


async def test_recover_fails_running_and_returns_scheduled(world: World, jobs: Jobs) -> None:
    running = await world.train.submit(TrainCommand(FAST))
    # simulate a crash: the row says running, no process owns it
    await world.registry.save_job(world.registry.jobs[running.job_id])
    stuck = world.registry.jobs[running.job_id]
    await asyncio.sleep(0.05)
    await world.registry.save_job(stuck)
    scheduled = await jobs.schedule.execute(TrainCommand(FAST, JobTrigger.SCHEDULED), FUTURE)
    pending = await world.recover.execute()
    assert [j.job_id for j in pending] == [scheduled.job_id]
    failed = world.registry.jobs[running.job_id]
    assert failed.status is JobStatus.FAILED and failed.error == INTERRUPTED


# --- if_better with forward scores ---------------------------------------------------------
def world_with(policy: AutoActivate) -> World:
    return build_world(TrainingPolicy(auto_activate=policy, keep_models=10))


async def test_if_better_keeps_the_better_active_model() -> None:
    world = world_with(AutoActivate.IF_BETTER)
    jobs = jobs_for(world)
    await world.refresh.execute()
    first = await world.train.execute(TrainCommand(FAST))
    later = datetime(2026, 6, 1, tzinfo=UTC)
    for n in range(600):
        world.source.add(1000 + n, 1 + n % 30, "bookmark", created_at=later + timedelta(minutes=n))
    world.engine.forward_scores = (0.10, 0.30)
    worse = await jobs.run_daily.execute()
    assert worse is not None and worse.activation and worse.activation.startswith("not activated")
    assert world.state.model_id == first.model_id
    assert world.engine.calls[-1]["forward"] is not None
    world.engine.forward_scores = (0.31, 0.30)
    better = await jobs.run_daily.execute()
    assert better is not None and better.activation and better.activation.startswith("activated")
    assert world.state.model_id == better.model_id


async def test_size_guard_refuses_a_truncated_source() -> None:
    world = world_with(AutoActivate.IF_BETTER)
    jobs = jobs_for(world)
    await world.refresh.execute()
    first = await world.train.execute(TrainCommand(FAST))
    del world.source.interactions[10:]  # a broken query: most rows gone
    job = await jobs.run_daily.execute()
    assert job is not None and job.status is JobStatus.SUCCEEDED
    assert job.activation and "below 80%" in job.activation
    assert world.state.model_id == first.model_id


async def test_auto_activate_never_and_always() -> None:
    for policy, switches in ((AutoActivate.NEVER, False), (AutoActivate.ALWAYS, True)):
        world = world_with(policy)
        jobs = jobs_for(world)
        await world.refresh.execute()
        first = await world.train.execute(TrainCommand(FAST))
        job = await jobs.run_daily.execute()
        assert job is not None
        assert (world.state.model_id == job.model_id) is switches
        assert (world.state.model_id == first.model_id) is not switches


# --- partial, retention, followers ---------------------------------------------------------
async def test_partial_needs_an_active_model_and_continues_it(world: World) -> None:
    failed = await world.train.execute(TrainCommand(FAST, mode=TrainMode.PARTIAL))
    assert failed.status is JobStatus.FAILED and failed.error and "none is active" in failed.error
    base = await world.train.execute(TrainCommand(FAST))
    partial = await world.train.execute(TrainCommand(FAST, mode=TrainMode.PARTIAL))
    assert partial.status is JobStatus.SUCCEEDED
    assert world.engine.calls[-1]["base"] is not None
    assert partial.model_id is not None
    assert world.registry.versions[partial.model_id].extra["base_model_id"] == base.model_id


async def test_retention_keeps_active_plus_newest(world: World) -> None:
    ids = [(await world.train.execute(TrainCommand(FAST))).model_id for _ in range(4)]
    await world.activate.execute(ids[0])  # the oldest becomes active
    deleted = await ApplyRetention(world.registry, world.artifacts, keep=2).execute()
    assert deleted == [ids[1]]
    assert set(world.registry.versions) == {ids[0], ids[2], ids[3]}
    assert ids[1] not in world.artifacts.bundles and ids[1] not in world.artifacts.snapshots


async def test_training_applies_retention(world: World) -> None:
    small = build_world(TrainingPolicy(keep_models=1))
    await small.refresh.execute()
    for _ in range(3):
        await small.train.execute(TrainCommand(FAST))
    assert len(small.registry.versions) == 2  # the active one and one more


async def test_follower_switches_to_the_registry_active_version(world: World) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    second = await world.train.execute(TrainCommand(FAST, activate=False))
    follow = world.follow
    assert await follow.execute() is False
    assert second.model_id is not None
    world.registry.active = second.model_id  # another process activated it
    assert await follow.execute() is True
    assert world.state.model_id == second.model_id != first.model_id


async def test_a_follower_that_cannot_load_the_new_version_keeps_serving_its_own(world: World) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    second = await world.train.execute(TrainCommand(FAST, activate=False))
    assert second.model_id is not None
    del world.artifacts.bundles[second.model_id]  # its files are gone (or were never copied here)
    world.registry.active = second.model_id
    follow = world.follow

    assert await follow.execute() is False
    assert world.state.model_id == first.model_id

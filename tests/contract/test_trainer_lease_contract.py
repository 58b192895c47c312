"""One behaviour for every `TrainerLease`, and the registry's fenced writes beside it: the in-memory
fake, SQLite and MariaDB (contract section 10)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import LeaseLostError
from domain.training_job import JobStatus
from tests.contract.lease_stores import LeaseAndRegistry, lease_and_registry
from tests.contract.test_registry_contract import job, version

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SECONDS = 15.0


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
async def pair(db_url: str | None) -> AsyncIterator[LeaseAndRegistry]:
    async with lease_and_registry(db_url) as both:
        yield both


@pytest.fixture
async def other(pair: LeaseAndRegistry) -> AsyncIterator[LeaseAndRegistry]:
    """A second process on the same registry (its own engine)."""
    async with lease_and_registry(pair.url, shared=None if pair.url else pair.registry) as both:
        yield both


async def test_a_new_registry_has_a_lease_nobody_holds(pair: LeaseAndRegistry) -> None:
    lease = await pair.lease.current()
    assert lease.holder is None and lease.epoch == 0 and not lease.live(T0)


async def test_the_first_candidate_takes_it_and_others_wait_until_it_expires(pair: LeaseAndRegistry) -> None:
    a = await pair.lease.acquire("a", T0, SECONDS)
    assert a is not None and a.holder == "a" and a.epoch == 1
    assert a.expires_at == later(SECONDS)
    assert await pair.lease.acquire("b", later(SECONDS - 0.01), SECONDS) is None
    assert (await pair.lease.current()).held_by("a")
    b = await pair.lease.acquire("b", later(SECONDS), SECONDS)
    assert b is not None and b.epoch == 2 and (await pair.lease.current()).held_by("b")


async def test_a_renewal_keeps_the_term_and_fails_once_another_has_taken_over(pair: LeaseAndRegistry) -> None:
    a = await pair.lease.acquire("a", T0, SECONDS)
    assert a is not None
    renewed = await pair.lease.renew(a, later(10), SECONDS)
    assert renewed is not None and renewed.epoch == a.epoch and renewed.expires_at == later(10 + SECONDS)
    assert await pair.lease.acquire("b", later(SECONDS + 1), SECONDS) is None  # renewed: still live
    b = await pair.lease.acquire("b", later(10 + SECONDS), SECONDS)
    assert b is not None
    assert await pair.lease.renew(a, later(10 + SECONDS), SECONDS) is None
    assert (await pair.lease.current()) == b


async def test_release_frees_it_at_once_and_a_stale_release_changes_nothing(pair: LeaseAndRegistry) -> None:
    a = await pair.lease.acquire("a", T0, SECONDS)
    assert a is not None
    await pair.lease.release(a)
    assert not (await pair.lease.current()).live(T0)
    b = await pair.lease.acquire("b", later(1), SECONDS)
    assert b is not None and b.epoch == a.epoch + 1
    await pair.lease.release(a)  # a's term is over: nothing happens
    assert (await pair.lease.current()) == b


async def test_candidates_racing_for_an_expired_lease_get_one_term_each_round(
    pair: LeaseAndRegistry, other: LeaseAndRegistry
) -> None:
    now = T0
    for round_ in range(5):
        now += timedelta(seconds=SECONDS + 1)
        won = await asyncio.gather(
            pair.lease.acquire(f"a{round_}", now, SECONDS), other.lease.acquire(f"b{round_}", now, SECONDS)
        )
        winners = [lease for lease in won if lease is not None]
        assert len(winners) == 1, won
        assert winners[0].epoch == round_ + 1 and (await pair.lease.current()) == winners[0]


async def test_writes_fenced_by_the_current_term_are_accepted(pair: LeaseAndRegistry) -> None:
    a = await pair.lease.acquire("a", T0, SECONDS)
    assert a is not None
    await pair.registry.add_version(version("m-1"), fence=a.epoch)
    await pair.registry.set_active("m-1", fence=a.epoch)
    started = job("j-1").start(T0, runner=a.epoch)
    await pair.registry.save_job(started, fence=a.epoch)
    assert await pair.registry.active_model_id() == "m-1"
    assert (await pair.registry.get_job("j-1")) == started
    await pair.registry.delete_version("m-1", fence=a.epoch)
    assert await pair.registry.get_version("m-1") is None


async def test_a_stale_trainers_writes_are_refused_and_change_nothing(
    pair: LeaseAndRegistry, other: LeaseAndRegistry
) -> None:
    a = await pair.lease.acquire("a", T0, SECONDS)
    assert a is not None
    running = job("j-1").start(T0, runner=a.epoch)
    await pair.registry.save_job(running, fence=a.epoch)
    await pair.registry.add_version(version("m-old"), fence=a.epoch)
    await pair.registry.set_active("m-old", fence=a.epoch)
    b = await other.lease.acquire("b", later(SECONDS), SECONDS)  # a stopped renewing; b took over
    assert b is not None
    with pytest.raises(LeaseLostError):
        await pair.registry.add_version(version("m-late"), fence=a.epoch)
    with pytest.raises(LeaseLostError):
        await pair.registry.set_active("m-late", fence=a.epoch)
    with pytest.raises(LeaseLostError):
        await pair.registry.save_job(running.succeed(later(20), "m-late", {}, "activated"), fence=a.epoch)
    with pytest.raises(LeaseLostError):
        await pair.registry.replace_job(running.fail(later(20), "x"), JobStatus.RUNNING, fence=a.epoch)
    with pytest.raises(LeaseLostError):
        await pair.registry.delete_version("m-old", fence=a.epoch)
    assert await other.registry.get_version("m-late") is None
    assert await other.registry.get_version("m-old") is not None
    assert await other.registry.active_model_id() == "m-old"
    assert (await other.registry.get_job("j-1")) == running
    # the new term writes; unfenced administration still works
    await other.registry.set_active("m-old", fence=b.epoch)
    await other.registry.set_active("m-old")


async def test_a_fence_of_a_term_never_granted_is_refused(pair: LeaseAndRegistry) -> None:
    with pytest.raises(LeaseLostError):
        await pair.registry.save_job(job("j-1"), fence=7)
    assert await pair.registry.get_job("j-1") is None


async def test_a_jobs_runner_epoch_and_tune_budget_round_trip(pair: LeaseAndRegistry) -> None:
    from domain.tuning import TuneBudget

    tuned = dataclasses.replace(job("j-2"), tune_budget=TuneBudget(7, 120.5), runner=3)
    await pair.registry.save_job(tuned)
    assert await pair.registry.get_job("j-2") == tuned
    assert tuned.tune_validation is None  # a tuning stored before the option existed reads as none


async def test_a_tunings_validation_split_round_trips(pair: LeaseAndRegistry) -> None:
    from domain.tuning import TuneBudget, TuneValidation

    for number, validation in enumerate(TuneValidation):
        tuned = dataclasses.replace(
            job(f"j-v{number}"), tune_budget=TuneBudget(3, 60), tune_validation=validation
        )
        await pair.registry.save_job(tuned)
        found = await pair.registry.get_job(f"j-v{number}")
        assert found is not None and found.tune_validation is validation

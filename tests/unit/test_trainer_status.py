"""`GET /admin/trainer`'s use case: the stored lease and the asking replica's part, as the fleet moves."""

from __future__ import annotations

import pytest

from application.trainer_status import TrainerStatus
from domain.errors import RegistryUnavailableError
from tests.unit.fleet import LEASE_SECONDS, Replica, new_fleet

pytestmark = pytest.mark.asyncio


def status(replica: Replica) -> TrainerStatus:
    return replica.container.trainer_status()


async def test_every_replica_reports_the_holder_and_its_own_part() -> None:
    fleet = new_fleet()
    a, b, f = fleet.replica("a"), fleet.replica("b"), fleet.replica("f", candidate=False)
    before = await status(b).execute()
    assert before.lease is not None and before.lease.holder is None and not before.live

    await a.step()
    await b.step()
    seen_by_a, seen_by_b, seen_by_f = [await status(r).execute() for r in (a, b, f)]
    for view in (seen_by_a, seen_by_b, seen_by_f):
        assert view.lease is not None and view.lease.holder == "a" and view.live
        assert view.lease.epoch == fleet.registry.lease.epoch
    assert (seen_by_a.replica, seen_by_a.is_trainer, seen_by_a.candidate) == ("a", True, True)
    assert (seen_by_b.replica, seen_by_b.is_trainer, seen_by_b.candidate) == ("b", False, True)
    assert (seen_by_f.is_trainer, seen_by_f.candidate) == (False, False)


async def test_an_expired_lease_is_reported_not_live_until_taken_over() -> None:
    fleet = new_fleet()
    a, b = fleet.replica("a"), fleet.replica("b")
    await a.step()
    first = fleet.registry.lease.epoch
    fleet.clock.advance(LEASE_SECONDS + 0.1)  # a is gone
    gone = await status(b).execute()
    assert gone.lease is not None and gone.lease.holder == "a" and not gone.live
    await b.step()
    taken = await status(a).execute()
    assert taken.lease is not None and taken.lease.holder == "b" and taken.live
    assert taken.lease.epoch == first + 1 and not taken.is_trainer


async def test_a_registry_that_is_down_is_said_not_guessed() -> None:
    fleet = new_fleet()
    a = fleet.replica("a")
    await a.step()
    fleet.registry.available = False
    with pytest.raises(RegistryUnavailableError):
        await status(a).execute()

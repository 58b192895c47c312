"""A trainer whose term ends between writing a version's files and registering it: the registry
refuses the version, and the files it wrote are deleted (they would belong to no version, ever)."""

from __future__ import annotations

import pytest

from application.train_model import TrainCommand
from application.trainer_election import Change
from domain.model_version import TrainParams
from domain.training_job import JobStatus
from tests.unit.fleet import LEASE_SECONDS, new_fleet

pytestmark = pytest.mark.asyncio


async def test_a_version_refused_by_fencing_leaves_no_files_behind() -> None:
    fleet = new_fleet()
    a, b = fleet.replica("a"), fleet.replica("b")
    await a.step()
    save = fleet.artifacts.save
    saved: list[str] = []

    async def save_then_lose_the_lease(model_id, bundle):  # type: ignore[no-untyped-def]
        digest = await save(model_id, bundle)
        saved.append(model_id)
        fleet.clock.advance(LEASE_SECONDS + 1)  # a pauses here; b takes the lease meanwhile
        assert await b.step() is Change.GAINED
        return digest

    fleet.artifacts.save = save_then_lose_the_lease  # type: ignore[method-assign]
    job = await a.train.execute(TrainCommand(TrainParams(epochs=2)))
    assert job.status is not JobStatus.SUCCEEDED and saved
    assert fleet.registry.versions == {} and fleet.registry.refused >= 1
    assert fleet.artifacts.bundles == {} and fleet.artifacts.snapshots == {}

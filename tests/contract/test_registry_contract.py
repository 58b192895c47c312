"""One behaviour for every `ModelRegistry` + `JobStore`: the in-memory fake, SQLite and MariaDB.

SQLite-only behaviour (WAL, files, a registry reopened by a new engine) stays in
`tests/integration/test_sqlalchemy_registry.py`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from adapters.memory.stores import InMemoryModelRegistry
from adapters.registry.sqlalchemy_registry import SqlAlchemyModelRegistry
from domain.errors import RegistryUnavailableError
from domain.model_version import DatasetStats, ModelVersion, TrainParams
from domain.training_job import JobStatus, JobTrigger, TrainingJob, TrainMode
from tests.contract.stores import ready, unusable

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def version(model_id: str, created_at: datetime = T0, **changes: object) -> ModelVersion:
    full = ModelVersion(
        model_id=model_id,
        created_at=created_at,
        params=TrainParams(no_components=32, loss="bpr", epochs=5, learning_rate=0.1, item_alpha=1e-6),
        metrics={"precision_at_10": 0.125, "recall_at_10": 0.25, "auc": 0.9},
        dataset=DatasetStats(n_users=10, n_items=20, n_interactions=300),
        train_seconds=12.5,
        sha256="ab" * 32,
        status="ready",
        data_cutoff=datetime(2026, 11, 27, 23, 59, 59, 123456, tzinfo=UTC),
        job_id="job-1",
        extra={"history": [{"trial": 1, "value": 0.1}], "note": "été"},
    )
    return dataclasses.replace(full, **changes)  # type: ignore[arg-type]


def job(job_id: str, created_at: datetime = T0, **changes: object) -> TrainingJob:
    full = TrainingJob(
        job_id=job_id,
        trigger=JobTrigger.SCHEDULED,
        params=TrainParams(epochs=3, normalize_features=True),
        created_at=created_at,
        status=JobStatus.SCHEDULED,
        mode=TrainMode.PARTIAL,
        activate=False,
        scheduled_at=created_at + timedelta(hours=2),
    )
    return dataclasses.replace(full, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def registry(db_url: str | None) -> AsyncIterator[Any]:
    """A ready ModelRegistry that is also the JobStore (as in the container)."""
    async with ready(db_url, InMemoryModelRegistry, SqlAlchemyModelRegistry) as store:
        yield store


async def test_a_version_round_trips_every_field_in_utc(registry: Any) -> None:
    original = version("m-1", created_at=datetime(2026, 11, 28, 4, 0, tzinfo=PARIS))
    await registry.add_version(original)

    loaded = await registry.get_version("m-1")

    assert loaded == original
    assert loaded.created_at.tzinfo == UTC and loaded.created_at == datetime(2026, 11, 28, 3, tzinfo=UTC)
    assert await registry.get_version("nope") is None


async def test_a_version_with_empty_optionals_round_trips(registry: Any) -> None:
    bare = version("m-2", status="failed", data_cutoff=None, job_id=None, extra={}, metrics={})
    await registry.add_version(bare)
    assert await registry.get_version("m-2") == bare


async def test_adding_a_version_again_replaces_it(registry: Any) -> None:
    await registry.add_version(version("m-1"))
    await registry.add_version(version("m-1", status="failed", train_seconds=1.0))

    assert [(v.model_id, v.status, v.train_seconds) for v in await registry.list_versions()] == [
        ("m-1", "failed", 1.0)
    ]


async def test_versions_and_jobs_are_listed_newest_first(registry: Any) -> None:
    assert await registry.list_versions() == [] and await registry.list_jobs() == []
    for model_id, hours in [("b", 1), ("a", 3), ("c", 2), ("d", 3)]:
        await registry.add_version(version(model_id, created_at=T0 + timedelta(hours=hours)))
        await registry.save_job(job(f"j-{model_id}", created_at=T0 + timedelta(hours=hours)))

    assert [v.model_id for v in await registry.list_versions()] == ["d", "a", "c", "b"]
    assert [j.job_id for j in await registry.list_jobs()] == ["j-d", "j-a", "j-c", "j-b"]


async def test_deleting_a_version_forgets_it_and_is_idempotent(registry: Any) -> None:
    await registry.add_version(version("m-1"))
    await registry.add_version(version("m-2"))
    await registry.delete_version("m-1")
    await registry.delete_version("m-1")
    await registry.delete_version("never-added")

    assert await registry.get_version("m-1") is None
    assert [v.model_id for v in await registry.list_versions()] == ["m-2"]


async def test_the_active_version_is_the_last_one_set(registry: Any) -> None:
    assert await registry.active_model_id() is None
    await registry.set_active("m-1")
    await registry.set_active("m-2")
    assert await registry.active_model_id() == "m-2"
    await registry.ping()


async def test_a_job_round_trips_through_its_transitions(registry: Any) -> None:
    scheduled = job("j-1", created_at=datetime(2026, 11, 28, 4, 0, tzinfo=PARIS))
    await registry.save_job(scheduled)
    assert await registry.get_job("j-1") == scheduled

    running = scheduled.start(T0 + timedelta(hours=2)).with_progress(0.5)
    await registry.save_job(running)
    assert await registry.get_job("j-1") == running

    done = running.succeed(T0 + timedelta(hours=3), "m-9", {"auc": 0.8}, "activated: better by 0.01")
    await registry.save_job(done)

    assert await registry.list_jobs() == [done]
    loaded = await registry.get_job("j-1")
    assert (loaded.status, loaded.progress, loaded.model_id) == (JobStatus.SUCCEEDED, 1.0, "m-9")
    stamps = (loaded.created_at, loaded.scheduled_at, loaded.started_at, loaded.finished_at)
    assert all(stamp.tzinfo == UTC for stamp in stamps)
    assert loaded.finished_at == T0 + timedelta(hours=3)
    assert await registry.get_job("missing") is None


async def test_a_failed_job_keeps_its_error_and_an_unset_activate(registry: Any) -> None:
    failed = job("j-2", activate=None, scheduled_at=None).start(T0).fail(T0, "interrupted by restart")
    await registry.save_job(failed)
    assert await registry.get_job("j-2") == failed


async def test_an_unusable_database_is_registry_unavailable(db_url: str | None) -> None:
    async with unusable(db_url, InMemoryModelRegistry, SqlAlchemyModelRegistry) as broken:
        for call in (broken.list_versions, broken.list_jobs, broken.active_model_id):
            with pytest.raises(RegistryUnavailableError):
                await call()
        with pytest.raises(RegistryUnavailableError):
            await broken.add_version(version("m-1"))

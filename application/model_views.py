"""Read models: a version together with whether it is the active one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.ports import JobStore, ModelRegistry
from domain.errors import NotFoundError
from domain.model_version import ModelVersion
from domain.online import OnlineCounts
from domain.training_job import TrainingJob

if TYPE_CHECKING:
    from application.experiment_views import ExperimentQueries


@dataclass(frozen=True, slots=True)
class ModelVersionView:
    version: ModelVersion
    is_active: bool
    online: OnlineCounts | None = None
    """Every list the version answered (given by `GET /admin/models/{id}` only)."""


class ModelQueries:
    def __init__(self, registry: ModelRegistry, online: ExperimentQueries | None = None) -> None:
        self._registry = registry
        self._online = online

    async def list(self) -> list[ModelVersionView]:
        versions = await self._registry.list_versions()
        active = await self._registry.active_model_id()
        return [ModelVersionView(v, v.model_id == active) for v in versions]

    async def get(self, model_id: str) -> ModelVersionView:
        version = await self._registry.get_version(model_id)
        if version is None:
            raise NotFoundError(f"model {model_id!r} does not exist")
        online = await self._online.online(model_id) if self._online is not None else None
        return ModelVersionView(version, version.model_id == await self._registry.active_model_id(), online)


class JobQueries:
    def __init__(self, jobs: JobStore) -> None:
        self._jobs = jobs

    async def list(self) -> list[TrainingJob]:
        return await self._jobs.list_jobs()

    async def get(self, job_id: str) -> TrainingJob:
        job = await self._jobs.get_job(job_id)
        if job is None:
            raise NotFoundError(f"job {job_id!r} does not exist")
        return job

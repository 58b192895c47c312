"""In-memory registry, job store, artifact store, clock and ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from application.ports import ArtifactBundle, ArtifactStore, Clock, IdGenerator, JobStore, ModelRegistry
from domain.errors import ArtifactError, RegistryUnavailableError
from domain.model_version import ModelVersion
from domain.training_job import TrainingJob


class InMemoryArtifactStore(ArtifactStore):
    def __init__(self) -> None:
        self.bundles: dict[str, tuple[ArtifactBundle, str]] = {}
        self.snapshots: dict[str, ArtifactBundle] = {}

    async def save(self, model_id: str, bundle: ArtifactBundle) -> str:
        digest = hashlib.sha256(repr(sorted(bundle.arrays.items())).encode()).hexdigest()
        self.bundles[model_id] = (bundle, digest)
        return digest

    async def load(self, model_id: str, sha256: str) -> ArtifactBundle:
        if model_id not in self.bundles:
            raise ArtifactError(f"artifact of model {model_id} is missing")
        bundle, digest = self.bundles[model_id]
        if digest != sha256:
            raise ArtifactError(f"artifact of model {model_id} fails its checksum")
        return bundle

    async def save_snapshot(self, model_id: str, bundle: ArtifactBundle) -> str:
        self.snapshots[model_id] = bundle
        return "snapshot-" + model_id

    async def load_snapshot(self, model_id: str, sha256: str) -> ArtifactBundle:
        if model_id not in self.snapshots:
            raise ArtifactError(f"dataset snapshot of model {model_id} is missing")
        return self.snapshots[model_id]

    def corrupt(self, model_id: str) -> None:
        bundle, _ = self.bundles[model_id]
        self.bundles[model_id] = (bundle, "0" * 64)

    async def delete(self, model_id: str) -> None:
        self.bundles.pop(model_id, None)
        self.snapshots.pop(model_id, None)

    async def ping(self) -> None:
        return None


@dataclass
class InMemoryModelRegistry(ModelRegistry, JobStore):
    versions: dict[str, ModelVersion] = field(default_factory=dict)
    jobs: dict[str, TrainingJob] = field(default_factory=dict)
    active: str | None = None
    available: bool = True

    def _check(self) -> None:
        if not self.available:
            raise RegistryUnavailableError("in-memory registry switched off")

    async def create_schema(self) -> None:
        self._check()

    async def close(self) -> None:
        return None

    async def add_version(self, version: ModelVersion) -> None:
        self._check()
        self.versions[version.model_id] = version

    async def get_version(self, model_id: str) -> ModelVersion | None:
        self._check()
        return self.versions.get(model_id)

    async def list_versions(self) -> list[ModelVersion]:
        self._check()
        return sorted(self.versions.values(), key=lambda v: (v.created_at, v.model_id), reverse=True)

    async def delete_version(self, model_id: str) -> None:
        self._check()
        self.versions.pop(model_id, None)

    async def active_model_id(self) -> str | None:
        self._check()
        return self.active

    async def set_active(self, model_id: str) -> None:
        self._check()
        self.active = model_id

    async def ping(self) -> None:
        self._check()

    async def save_job(self, job: TrainingJob) -> None:
        self._check()
        self.jobs[job.job_id] = job

    async def get_job(self, job_id: str) -> TrainingJob | None:
        self._check()
        return self.jobs.get(job_id)

    async def list_jobs(self) -> list[TrainingJob]:
        self._check()
        return sorted(self.jobs.values(), key=lambda j: (j.created_at, j.job_id), reverse=True)


class SteppingClock(Clock):
    """Starts at a fixed instant and moves one second per reading."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 28, 3, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


class SequentialIds(IdGenerator):
    def __init__(self) -> None:
        self._n = 0

    def new_model_id(self, now: datetime) -> str:
        self._n += 1
        return f"model-{self._n}"

    def new_job_id(self, now: datetime) -> str:
        self._n += 1
        return f"job-{self._n}"

"""In-memory registry, job store, artifact store, clock and ids."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from application.ports import ArtifactBundle, ArtifactStore, Clock, IdGenerator, JobStore, ModelRegistry
from domain.errors import ArtifactError, ConflictError, InvalidArgumentError, RegistryUnavailableError
from domain.model_version import ModelVersion
from domain.training_job import TrainingJob


def in_utc(moment: datetime) -> datetime:
    """Stored instants come back in UTC (naive ones taken as UTC), as the SQL stores return them."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _in_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else in_utc(moment)


def _version_in_utc(version: ModelVersion) -> ModelVersion:
    return dataclasses.replace(
        version, created_at=in_utc(version.created_at), data_cutoff=_in_utc(version.data_cutoff)
    )


def _job_in_utc(job: TrainingJob) -> TrainingJob:
    return dataclasses.replace(
        job,
        created_at=in_utc(job.created_at),
        scheduled_at=_in_utc(job.scheduled_at),
        started_at=_in_utc(job.started_at),
        finished_at=_in_utc(job.finished_at),
    )


def _digest(bundle: ArtifactBundle) -> str:
    """A sha256 of the arrays' contents (bytes, dtype and shape for numpy arrays, repr otherwise)."""
    digest = hashlib.sha256()
    for name in sorted(bundle.arrays):
        value = bundle.arrays[name]
        digest.update(name.encode())
        if hasattr(value, "tobytes"):
            digest.update(f"{value.dtype.str}{value.shape}".encode() + value.tobytes())
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()


def _checked_id(model_id: str) -> str:
    """The filesystem store's rule: an id that could leave its own place is refused."""
    if model_id in ("", ".", "..") or any(bad in model_id for bad in ("..", "/", "\\", "\x00")):
        raise InvalidArgumentError(f"model id {model_id!r} is not a valid artifact name")
    return model_id


class InMemoryArtifactStore(ArtifactStore):
    """Behaves as the filesystem store: ids are never overwritten, checksums are checked."""

    def __init__(self) -> None:
        self.bundles: dict[str, tuple[ArtifactBundle, str]] = {}
        self.snapshots: dict[str, tuple[ArtifactBundle, str]] = {}

    @staticmethod
    def _put(place: dict[str, tuple[ArtifactBundle, str]], model_id: str, bundle: ArtifactBundle) -> str:
        if _checked_id(model_id) in place:
            raise ConflictError(f"an artifact for model {model_id} already exists")
        digest = _digest(bundle)
        place[model_id] = (bundle, digest)
        return digest

    @staticmethod
    def _get(place: dict[str, tuple[ArtifactBundle, str]], model_id: str, sha256: str) -> ArtifactBundle:
        if _checked_id(model_id) not in place:
            raise ArtifactError(f"artifact of model {model_id} is missing")
        bundle, digest = place[model_id]
        if digest != sha256:
            raise ArtifactError(f"artifact of model {model_id} fails its checksum: expected {sha256}")
        return bundle

    async def save(self, model_id: str, bundle: ArtifactBundle) -> str:
        return self._put(self.bundles, model_id, bundle)

    async def load(self, model_id: str, sha256: str) -> ArtifactBundle:
        return self._get(self.bundles, model_id, sha256)

    async def save_snapshot(self, model_id: str, bundle: ArtifactBundle) -> str:
        return self._put(self.snapshots, model_id, bundle)

    async def load_snapshot(self, model_id: str, sha256: str) -> ArtifactBundle:
        return self._get(self.snapshots, model_id, sha256)

    def corrupt(self, model_id: str) -> None:
        bundle, _ = self.bundles[model_id]
        self.bundles[model_id] = (bundle, "0" * 64)

    async def delete(self, model_id: str) -> None:
        self.bundles.pop(_checked_id(model_id), None)
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
        self.versions[version.model_id] = _version_in_utc(version)

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
        self.jobs[job.job_id] = _job_in_utc(job)

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

    def new_experiment_id(self, now: datetime) -> str:
        self._n += 1
        return f"experiment-{self._n}"

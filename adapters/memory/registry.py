"""In-memory registry and job store, with the trainer lease row they share (use-case tests).

Like the SQL registry: a write given a fence is refused once the lease row's epoch has moved on;
`submit_job` refuses a job while another runs or waits, or while no live trainer holds the lease.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime

from application.ports import JobStore, ModelRegistry
from domain.errors import (
    LeaseLostError,
    NoTrainerError,
    RegistryUnavailableError,
    TrainingAlreadyRunningError,
)
from domain.model_version import ModelVersion
from domain.trainer_lease import Lease
from domain.training_job import JobStatus, TrainingJob

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


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


@dataclass
class InMemoryModelRegistry(ModelRegistry, JobStore):
    versions: dict[str, ModelVersion] = field(default_factory=dict)
    jobs: dict[str, TrainingJob] = field(default_factory=dict)
    active: str | None = None
    available: bool = True
    lease: Lease = field(default_factory=lambda: Lease(None, 0, NEVER))
    """The trainer lease row (InMemoryTrainerLease works on it)."""
    cancels: set[str] = field(default_factory=set)
    refused: int = 0
    """How many fenced writes were refused."""

    def _check(self, fence: int | None = None) -> None:
        if not self.available:
            raise RegistryUnavailableError("in-memory registry switched off")
        if fence is not None and fence != self.lease.epoch:
            self.refused += 1
            raise LeaseLostError(
                f"lost the trainer lease (term {fence} ended; term {self.lease.epoch} holds it)"
            )

    async def create_schema(self) -> None:
        self._check()

    async def close(self) -> None:
        return None

    async def add_version(self, version: ModelVersion, fence: int | None = None) -> None:
        self._check(fence)
        self.versions[version.model_id] = _version_in_utc(version)

    async def get_version(self, model_id: str) -> ModelVersion | None:
        self._check()
        return self.versions.get(model_id)

    async def list_versions(self) -> list[ModelVersion]:
        self._check()
        return sorted(self.versions.values(), key=lambda v: (v.created_at, v.model_id), reverse=True)

    async def delete_version(self, model_id: str, fence: int | None = None) -> None:
        self._check(fence)
        self.versions.pop(model_id, None)

    async def active_model_id(self) -> str | None:
        self._check()
        return self.active

    async def set_active(self, model_id: str, fence: int | None = None) -> None:
        self._check(fence)
        self.active = model_id

    async def ping(self) -> None:
        self._check()

    # --- JobStore -----------------------------------------------------------------------
    async def save_job(self, job: TrainingJob, fence: int | None = None) -> None:
        self._check(fence)
        self.jobs[job.job_id] = _job_in_utc(job)

    async def get_job(self, job_id: str) -> TrainingJob | None:
        self._check()
        return self.jobs.get(job_id)

    async def list_jobs(self) -> list[TrainingJob]:
        self._check()
        return sorted(self.jobs.values(), key=lambda j: (j.created_at, j.job_id), reverse=True)

    async def replace_job(self, job: TrainingJob, expected: JobStatus, fence: int | None = None) -> bool:
        self._check(fence)
        stored = self.jobs.get(job.job_id)
        if stored is None or stored.status is not expected:
            return False
        self.jobs[job.job_id] = _job_in_utc(job)
        return True

    async def due_jobs(self, now: datetime) -> list[TrainingJob]:
        self._check()
        due = [
            j
            for j in self.jobs.values()
            if j.status is JobStatus.SCHEDULED and (j.scheduled_at is None or j.scheduled_at <= now)
        ]
        return sorted(due, key=lambda j: (j.scheduled_at or j.created_at, j.job_id))

    async def submit_job(self, job: TrainingJob, now: datetime) -> None:
        self._check()
        for other in self.jobs.values():
            if other.status is JobStatus.RUNNING or (other.status is JobStatus.SCHEDULED and other.immediate):
                raise TrainingAlreadyRunningError(other.job_id)
        if not self.lease.live(now):
            raise NoTrainerError("no trainer holds the lease: start a process with REC_TRAIN_CRON on")
        self.jobs[job.job_id] = _job_in_utc(job)

    async def request_cancel(self, job_id: str) -> None:
        self._check()
        self.cancels.add(job_id)

    async def cancel_requested(self, job_id: str) -> bool:
        self._check()
        return job_id in self.cancels

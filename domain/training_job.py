"""A training job and its allowed state changes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import ConflictError, InvalidArgumentError
from domain.model_version import TrainParams
from domain.tuning import TuneBudget, TuneValidation


class JobStatus(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class JobTrigger(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    DAILY = "daily"
    TUNE = "tune"
    STARTUP = "startup"


class TrainMode(StrEnum):
    FULL = "full"
    PARTIAL = "partial"


def parse_mode(value: str) -> TrainMode:
    try:
        return TrainMode(value)
    except ValueError:
        raise InvalidArgumentError(f"mode must be 'full' or 'partial', got {value!r}") from None


@dataclass(frozen=True, slots=True)
class TrainingJob:
    """One training: manual, scheduled, daily, tuning or at startup."""

    job_id: str
    trigger: JobTrigger
    params: TrainParams
    created_at: datetime
    status: JobStatus = JobStatus.SCHEDULED
    mode: TrainMode = TrainMode.FULL
    activate: bool | None = None
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    model_id: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    progress: float = 0.0
    activation: str | None = None
    """What the activation policy decided, and why (set when the job succeeds)."""
    note: str | None = None
    """What the job is doing that is not a decision, e.g. "waiting: job X is running"."""
    runner: int | None = None
    """The lease epoch (fencing token) of the trainer running it; None: run outside the lease."""
    tune_budget: TuneBudget | None = None
    """A tuning's budget, so that the trainer can run a tuning another replica accepted."""
    tune_validation: TuneValidation | None = None
    """A tuning's validation split (None: not a tuning, or stored before the option existed)."""

    @property
    def immediate(self) -> bool:
        """Asked to run now (train, tune, startup): refused rather than queued behind another job."""
        return self.trigger in (JobTrigger.MANUAL, JobTrigger.TUNE, JobTrigger.STARTUP)

    def start(self, now: datetime, runner: int | None = None) -> TrainingJob:
        if self.status is not JobStatus.SCHEDULED:
            raise ConflictError(f"job {self.job_id} is {self.status}, it cannot start")
        return dataclasses.replace(
            self, status=JobStatus.RUNNING, started_at=now, progress=0.0, runner=runner
        )

    def with_note(self, note: str | None) -> TrainingJob:
        """A word on what the job is doing now (e.g. waiting for another job); None clears it."""
        return dataclasses.replace(self, note=note)

    def with_progress(self, progress: float) -> TrainingJob:
        return dataclasses.replace(self, progress=min(1.0, max(0.0, progress)))

    def succeed(
        self, now: datetime, model_id: str, metrics: Mapping[str, float], activation: str | None
    ) -> TrainingJob:
        self._require_unfinished()
        return dataclasses.replace(
            self,
            status=JobStatus.SUCCEEDED,
            finished_at=now,
            model_id=model_id,
            metrics=dict(metrics),
            progress=1.0,
            activation=activation,
        )

    def fail(self, now: datetime, error: str) -> TrainingJob:
        self._require_unfinished()
        return dataclasses.replace(self, status=JobStatus.FAILED, finished_at=now, error=error)

    def cancel(self, now: datetime) -> TrainingJob:
        self._require_unfinished()
        return dataclasses.replace(self, status=JobStatus.CANCELLED, finished_at=now)

    def _require_unfinished(self) -> None:
        if self.status.finished:
            raise ConflictError(f"job {self.job_id} has already finished ({self.status})")

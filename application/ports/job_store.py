"""Training jobs, the truth about what ran and what is scheduled.

Writes given a `fence` (the epoch of the trainer making them) are refused with LeaseLostError once
another term has begun: the check and the write are one transaction in the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.training_job import JobStatus, TrainingJob


class JobStore(Protocol):
    async def save_job(self, job: TrainingJob, fence: int | None = None) -> None: ...

    async def get_job(self, job_id: str) -> TrainingJob | None: ...

    async def list_jobs(self) -> list[TrainingJob]: ...

    async def replace_job(self, job: TrainingJob, expected: JobStatus, fence: int | None = None) -> bool:
        """Write `job` only while the stored one is `expected` (claim, cancel, fail once): False if not."""
        ...

    async def due_jobs(self, now: datetime) -> list[TrainingJob]:
        """Scheduled jobs whose time has come (immediate ones have none), oldest first."""
        ...

    async def submit_job(self, job: TrainingJob, now: datetime) -> None:
        """Store an immediate job for the trainer, in one transaction with the checks: another job
        running or waiting to start is TrainingAlreadyRunningError, no live trainer NoTrainerError."""
        ...

    async def request_cancel(self, job_id: str) -> None:
        """Ask the trainer running `job_id`, wherever it is, to stop it after its current epoch."""
        ...

    async def cancel_requested(self, job_id: str) -> bool: ...

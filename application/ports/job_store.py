"""Training jobs, the truth about what ran and what is scheduled."""

from __future__ import annotations

from typing import Protocol

from domain.training_job import TrainingJob


class JobStore(Protocol):
    async def save_job(self, job: TrainingJob) -> None: ...

    async def get_job(self, job_id: str) -> TrainingJob | None: ...

    async def list_jobs(self) -> list[TrainingJob]: ...

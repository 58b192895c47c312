"""A job scheduler that only remembers what it was asked to run and when (use-case tests)."""

from __future__ import annotations

from datetime import datetime

from application.ports import JobScheduler


class InMemoryJobScheduler(JobScheduler):
    def __init__(self) -> None:
        self.scheduled: dict[str, datetime] = {}

    def schedule(self, job_id: str, run_at: datetime) -> None:
        self.scheduled[job_id] = run_at

    def unschedule(self, job_id: str) -> None:
        self.scheduled.pop(job_id, None)

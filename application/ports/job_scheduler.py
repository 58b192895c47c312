"""Runs scheduled jobs at their time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class JobScheduler(Protocol):
    """Runs scheduled jobs at their time; the job store stays the truth."""

    def schedule(self, job_id: str, run_at: datetime) -> None: ...

    def unschedule(self, job_id: str) -> None: ...

"""Opaque ids of versions and jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class IdGenerator(Protocol):
    def new_model_id(self, now: datetime) -> str: ...

    def new_job_id(self, now: datetime) -> str: ...

    def new_experiment_id(self, now: datetime) -> str: ...

"""A/B experiments between model versions, in the registry database."""

from __future__ import annotations

from typing import Protocol

from domain.experiment import Experiment


class ExperimentStore(Protocol):
    async def save(self, experiment: Experiment) -> None:
        """Insert the experiment or replace the one of the same id; ConflictError when it is running and
        another experiment is (one runs at a time, even when replicas start two at once)."""
        ...

    async def get(self, experiment_id: str) -> Experiment | None: ...

    async def list_experiments(self) -> list[Experiment]:
        """Newest first."""
        ...

    async def running(self) -> Experiment | None:
        """The running experiment (at most one runs at a time)."""
        ...

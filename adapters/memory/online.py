"""In-memory online counts and experiments."""

from __future__ import annotations

import dataclasses

from adapters.memory.stores import in_utc
from application.ports import ContextLists, ExperimentStore, OnlineCountStore
from domain.errors import ConflictError, RegistryUnavailableError
from domain.experiment import Experiment
from domain.online import ServingContext


class InMemoryOnlineCounts(OnlineCountStore):
    def __init__(self) -> None:
        self.rows: dict[str, tuple[ServingContext, int]] = {}
        self.available = True

    def _check(self) -> None:
        if not self.available:
            raise RegistryUnavailableError("in-memory online counts switched off")

    async def create_schema(self) -> None:
        self._check()

    async def add_lists(self, lists: ContextLists) -> None:
        self._check()
        for token, (context, count) in lists.items():
            _, before = self.rows.get(token, (context, 0))
            self.rows[token] = (context, before + count)

    async def lists(self) -> dict[str, tuple[ServingContext, int]]:
        self._check()
        return dict(self.rows)

    async def ping(self) -> None:
        self._check()

    async def close(self) -> None:
        return None


class InMemoryExperimentStore(ExperimentStore):
    def __init__(self) -> None:
        self.experiments: dict[str, Experiment] = {}
        self.available = True

    def _check(self) -> None:
        if not self.available:
            raise RegistryUnavailableError("in-memory experiment store switched off")

    async def create_schema(self) -> None:
        self._check()

    async def save(self, experiment: Experiment) -> None:
        self._check()
        if experiment.running and any(
            e.running and e.experiment_id != experiment.experiment_id for e in self.experiments.values()
        ):
            raise ConflictError("another experiment is running; stop it first")
        stopped = None if experiment.stopped_at is None else in_utc(experiment.stopped_at)
        self.experiments[experiment.experiment_id] = dataclasses.replace(
            experiment, started_at=in_utc(experiment.started_at), stopped_at=stopped
        )

    async def get(self, experiment_id: str) -> Experiment | None:
        self._check()
        return self.experiments.get(experiment_id)

    async def list_experiments(self) -> list[Experiment]:
        self._check()
        return sorted(self.experiments.values(), key=lambda e: (e.started_at, e.experiment_id), reverse=True)

    async def running(self) -> Experiment | None:
        self._check()
        return next((e for e in await self.list_experiments() if e.running), None)

    async def close(self) -> None:
        return None

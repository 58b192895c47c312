"""Read models of experiments and of versions' online figures (contract section 12)."""

from __future__ import annotations

from dataclasses import dataclass

from application.list_tracker import ListTracker
from application.ports import ExperimentStore
from domain.errors import NotFoundError
from domain.experiment import Arm, Experiment
from domain.online import OnlineCounts, ServingContext


@dataclass(frozen=True, slots=True)
class ArmView:
    arm: Arm
    counts: OnlineCounts


@dataclass(frozen=True, slots=True)
class ExperimentView:
    experiment: Experiment
    arms: tuple[ArmView, ...]


class ExperimentQueries:
    def __init__(self, store: ExperimentStore, tracker: ListTracker) -> None:
        self._store = store
        self._tracker = tracker

    async def list(self) -> list[ExperimentView]:
        experiments = await self._store.list_experiments()
        counts = await self._tracker.counts() if experiments else {}
        return [_view(experiment, counts) for experiment in experiments]

    async def get(self, experiment_id: str) -> ExperimentView:
        experiment = await self._store.get(experiment_id)
        if experiment is None:
            raise NotFoundError(f"experiment {experiment_id!r} does not exist")
        return _view(experiment, await self._tracker.counts())

    async def online(self, model_id: str) -> OnlineCounts:
        """Every list the version answered, as the active version or as an arm."""
        total = OnlineCounts()
        for context, counts in (await self._tracker.counts()).items():
            if context.model_id == model_id:
                total = total + counts
        return total


def _view(experiment: Experiment, counts: dict[ServingContext, OnlineCounts]) -> ExperimentView:
    arms = tuple(
        ArmView(
            arm, counts.get(ServingContext(arm.model_id, experiment.experiment_id, arm.name), OnlineCounts())
        )
        for arm in experiment.arms
    )
    return ExperimentView(experiment, arms)

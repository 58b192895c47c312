"""Hyperparameter search over the /admin/train parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from application.ports.interaction_source import TrainingData
from domain.tuning import DEFAULT_VALIDATION, TuneBudget, TuneOutcome, TuneProgress, TuneValidation

TuneCallback = Callable[[TuneProgress], Awaitable[None]]
"""Called after each epoch of each trial; raising (e.g. JobCancelledError) stops the search."""


class Tuner(Protocol):
    """Searches /admin/train parameters on a validation split of the training data."""

    async def tune(
        self,
        data: TrainingData,
        budget: TuneBudget,
        on_progress: TuneCallback,
        search_id: str = "",
        validation: TuneValidation = DEFAULT_VALIDATION,
    ) -> TuneOutcome:
        """Run trials within `budget`; TrainingFailedError when no trial could be validated.
        `search_id` (the job's id) names the search for the processes that join it; `validation`
        says how its validation split is taken, for every process that runs its trials."""
        ...

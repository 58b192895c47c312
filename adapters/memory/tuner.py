"""A stand-in for the Optuna search: scripted trial values, progress after every step."""

from __future__ import annotations

import asyncio

from application.ports import TrainingData, TuneCallback, Tuner
from domain.errors import TrainingFailedError
from domain.model_version import TrainParams
from domain.tuning import (
    DEFAULT_VALIDATION,
    TrialRecord,
    TrialState,
    TuneBudget,
    TuneOutcome,
    TuneProgress,
    TuneValidation,
)


class FakeTuner(Tuner):
    """Trial n gets `values[n]` (None: the trial fails) after `epochs` steps; the best complete one wins.

    Trial n's parameters are distinguishable: `no_components` 8 * (n + 1), `epochs` n + 1.
    `gate`, when set, is awaited before the first trial (to hold a search running in a test).
    """

    def __init__(self, values: tuple[float | None, ...] = (0.1, 0.3, 0.2), epochs: int = 2) -> None:
        self.values = values
        self.epochs = epochs
        self.gate: asyncio.Event | None = None
        self.budgets: list[TuneBudget] = []
        self.validations: list[TuneValidation] = []

    async def tune(
        self,
        data: TrainingData,
        budget: TuneBudget,
        on_progress: TuneCallback,
        search_id: str = "",
        validation: TuneValidation = DEFAULT_VALIDATION,
    ) -> TuneOutcome:
        self.budgets.append(budget)
        self.validations.append(validation)
        if self.gate is not None:
            await self.gate.wait()
        records: list[TrialRecord] = []
        best: TrialRecord | None = None
        for number, value in enumerate(self.values[: budget.n_trials]):
            for epoch in range(1, self.epochs + 1):
                best_value, best_number = (best.value, best.number) if best else (None, None)
                await on_progress(TuneProgress(len(records), number, epoch, 0.0, best_value, best_number))
            state = TrialState.COMPLETE if value is not None else TrialState.FAILED
            params = TrainParams(no_components=8 * (number + 1), epochs=number + 1)
            records.append(TrialRecord(number, params, state, value, self.epochs, 0.01))
            if value is not None and (best is None or best.value is None or value > best.value):
                best = records[-1]
        if best is None:
            raise TrainingFailedError("no trial could be validated")
        return TuneOutcome(best, tuple(records), "validation precision_at_10", "n_trials", 0.05, 5, 7)

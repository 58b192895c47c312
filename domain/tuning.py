"""Hyperparameter search (README, "Tuning"): its budget, one trial's record, the outcome.

Every trial is a set of /admin/train parameters, so the best one can be trained again from its
params. A trial's `epochs` is the epoch count at which its validation score was best (early stopping),
not the ceiling it was allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import InvalidArgumentError
from domain.model_version import TrainParams

DEFAULT_TRIALS = 30
MAX_TRIALS = 500
DEFAULT_TIMEOUT_SECONDS = 900
MAX_TIMEOUT_SECONDS = 7200


class TuneValidation(StrEnum):
    """How a search's validation split is taken from the training data (README, "Tuning")."""

    RANDOM = "random"  # a seeded random share of each user's positives
    TIME = "time"  # each user's newest positives (by the time of their first positive event)


DEFAULT_VALIDATION = TuneValidation.TIME
"""`/admin/tune`'s `validation` when not given."""


def parse_validation(value: str) -> TuneValidation:
    try:
        return TuneValidation(value)
    except ValueError:
        raise InvalidArgumentError(f"validation must be 'random' or 'time', got {value!r}") from None


@dataclass(frozen=True, slots=True)
class TuneBudget:
    """At most `n_trials` trials, and no trial goes on past `timeout_seconds` of search."""

    n_trials: int = DEFAULT_TRIALS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        trials = self.n_trials
        if isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= MAX_TRIALS:
            raise InvalidArgumentError(f"n_trials must be an integer from 1 to {MAX_TRIALS}, got {trials!r}")
        seconds = self.timeout_seconds
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 < seconds <= MAX_TIMEOUT_SECONDS
        ):
            raise InvalidArgumentError(
                f"timeout_seconds must be a number above 0 and at most {MAX_TIMEOUT_SECONDS}, got {seconds!r}"
            )


class TrialState(StrEnum):
    COMPLETE = "complete"  # ran to its epoch ceiling, stopped early, or was cut by the timeout
    PRUNED = "pruned"  # stopped because it fell behind the other trials at the same epoch
    FAILED = "failed"  # diverged, or ended before its first validation


@dataclass(frozen=True, slots=True)
class TrialRecord:
    number: int
    params: TrainParams
    state: TrialState
    value: float | None  # best validation score seen; None when never validated
    epochs_run: int
    seconds: float
    confirmation: float | None = None  # its score on a second validation split, for the few best

    @property
    def merit(self) -> float | None:
        """What the best trial is chosen by: the mean of both scores where confirmed."""
        if self.value is None or self.confirmation is None:
            return self.value
        return (self.value + self.confirmation) / 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "state": self.state.value,
            "value": self.value,
            "confirmation": self.confirmation,
            "epochs_run": self.epochs_run,
            "seconds": round(self.seconds, 3),
            "params": self.params.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class TuneProgress:
    """Where a search stands, reported after every epoch of every trial."""

    trials_done: int
    trial: int  # number of the trial running
    epoch: int
    elapsed_seconds: float
    best_value: float | None
    best_trial: int | None
    confirming: bool = False  # refitting one of the best trials on a second validation split


@dataclass(frozen=True, slots=True)
class TuneOutcome:
    best: TrialRecord
    trials: tuple[TrialRecord, ...]
    objective: str  # e.g. "validation precision_at_10"
    stopped: str  # why the search ended: "n_trials" or "timeout"
    seconds: float
    validation_users: int
    validation_positives: int

    def count(self, state: TrialState) -> int:
        return sum(1 for trial in self.trials if trial.state is state)

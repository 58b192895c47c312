"""Choosing the best trial: the few best are confirmed on a second split, then ranked by their mean."""

from __future__ import annotations

from adapters.lightfm_engine.tuning.confirm import CONFIRM_TOP, best, candidates, confirm
from domain.model_version import TrainParams
from domain.tuning import TrialRecord, TrialState


def trial(number: int, value: float | None, state: TrialState = TrialState.COMPLETE) -> TrialRecord:
    return TrialRecord(number, TrainParams(no_components=number + 1), state, value, 10, 1.0)


RECORDS = [
    trial(0, 0.130),
    trial(1, 0.137),
    trial(2, 0.150, TrialState.PRUNED),  # never chosen, never confirmed
    trial(3, 0.136),
    trial(4, 0.120),
    trial(5, None, TrialState.FAILED),
]


def test_the_best_complete_trials_are_the_candidates() -> None:
    assert [r.number for r in candidates(RECORDS)] == [1, 3, 0][:CONFIRM_TOP]
    assert candidates([trial(0, 0.1)]) == []  # nothing to choose between


async def test_confirmation_decides_between_close_trials() -> None:
    second = {1: 0.128, 3: 0.140, 0: 0.131}

    async def refit(record: TrialRecord) -> float | None:
        return second[record.number]

    confirmed = await confirm(RECORDS, refit)
    assert [r.confirmation for r in confirmed] == [0.131, 0.128, None, 0.140, None, None]
    chosen = best(confirmed)
    assert chosen is not None and chosen.number == 3  # (0.136 + 0.140) / 2 beats (0.137 + 0.128) / 2
    assert best(RECORDS) is not None and best(RECORDS).number == 1  # type: ignore[union-attr]


async def test_a_diverged_refit_scores_zero() -> None:
    async def refit(record: TrialRecord) -> float | None:
        return None if record.number == 1 else 0.13

    confirmed = await confirm(RECORDS, refit)
    assert confirmed[1].confirmation == 0.0
    assert best(confirmed).number == 3  # type: ignore[union-attr]


def test_no_complete_trial_no_best() -> None:
    assert best([trial(0, None, TrialState.FAILED), trial(1, 0.2, TrialState.PRUNED)]) is None

"""Confirmation: the search's few best trials fitted again and scored on a second validation split.

A trial's search value is the best of several noisy checks, and the best of many trials is the most
flattered of all (the winner's curse). On MovieLens 100k (bench/quality.py, random protocol) two
runs of the same search picked trials tied at 0.1369 on validation that scored 0.2237 and 0.2176 on
the bench's test. So the `CONFIRM_TOP` best complete trials are fitted again for their recorded
epochs on an independent draw of the validation split (the engine's holdout still left out), and the
best trial is the one with the best mean of its two scores (`TrialRecord.merit`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from domain.tuning import TrialRecord, TrialState

CONFIRM_TOP = 3

Refit = Callable[[TrialRecord], Awaitable[float | None]]
"""Fit a trial's parameters again on the second split; its score, None when it diverged."""


def candidates(records: list[TrialRecord]) -> list[TrialRecord]:
    """The trials worth confirming: the best complete ones, when there is a choice to make."""
    done = [r for r in records if r.state is TrialState.COMPLETE and r.value is not None]
    done.sort(key=lambda r: (-(r.value or 0.0), r.number))
    return done[:CONFIRM_TOP] if len(done) > 1 else []


async def confirm(records: list[TrialRecord], refit: Refit) -> list[TrialRecord]:
    """`records` with the confirmation scores of the candidates filled in (a diverged refit scores 0)."""
    scores: dict[int, float] = {}
    for record in candidates(records):
        found = await refit(record)
        scores[record.number] = 0.0 if found is None else found
    return [
        dataclasses.replace(r, confirmation=scores[r.number]) if r.number in scores else r for r in records
    ]


def best(records: list[TrialRecord]) -> TrialRecord | None:
    """The complete trial with the best merit; confirmed trials, where there are any, go first."""
    done = [r for r in records if r.state is TrialState.COMPLETE and r.value is not None]
    confirmed = [r for r in done if r.confirmation is not None]
    pool = confirmed or done
    return max(pool, key=lambda r: (r.merit or 0.0, -r.number)) if pool else None

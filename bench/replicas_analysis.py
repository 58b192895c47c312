"""The pure part of `make bench-replicas`: percentiles, the trainer samples' intervals, version mixing.

Nothing here does I/O, so `tests/unit/test_bench_replicas_analysis.py` can make each check fail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q`th percentile (0 < q <= 100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# --- exactly one trainer -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LeaderSample:
    """One round of `rec_trainer_leader` from every replica: 1, 0 (a dead replica too), or None (it
    did not answer in time: unknown)."""

    at: float  # monotonic seconds
    flags: tuple[int | None, ...]

    @property
    def leaders(self) -> int:
        return sum(1 for flag in self.flags if flag == 1)

    @property
    def complete(self) -> bool:
        return None not in self.flags


@dataclass(frozen=True, slots=True)
class Gap:
    """Consecutive samples with no leader: from the first such sample to the next with one."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class LeaderReport:
    samples: int
    seconds: float
    incomplete: int  # samples without a leader where a replica did not answer: unknown, skipped
    two_or_more: int  # samples with two leaders or more: never allowed
    gaps: tuple[Gap, ...]  # every run of leaderless samples
    allowed: tuple[Gap, ...]  # those that begin inside a takeover window
    leader_changes: int

    @property
    def unexplained(self) -> tuple[Gap, ...]:
        return tuple(gap for gap in self.gaps if gap not in self.allowed)

    @property
    def exactly_one(self) -> bool:
        return self.two_or_more == 0 and not self.unexplained


def analyse_leaders(
    samples: Sequence[LeaderSample], takeovers: Sequence[tuple[float, float]] = ()
) -> LeaderReport:
    """Count the samples with 2+ leaders and the runs with none; a run with none is allowed when it
    starts inside one of `takeovers` (start, end): after a kill, until a successor may hold the lease.
    A sample with no leader where some replica did not answer says nothing (the silent one may lead)
    and is skipped. A run still open at the last sample ends there."""
    gaps: list[Gap] = []
    opened: float | None = None
    previous_holder: int | None = None
    changes = 0
    for sample in samples:
        if sample.leaders == 0 and not sample.complete:
            continue
        if sample.leaders == 0:
            opened = sample.at if opened is None else opened
            continue
        if opened is not None:
            gaps.append(Gap(opened, sample.at))
            opened = None
        if sample.leaders == 1:
            holder = next(i for i, flag in enumerate(sample.flags) if flag == 1)
            changes += previous_holder is not None and holder != previous_holder
            previous_holder = holder
    if opened is not None:
        gaps.append(Gap(opened, samples[-1].at))
    allowed = tuple(g for g in gaps if any(start <= g.start <= end for start, end in takeovers))
    return LeaderReport(
        samples=len(samples),
        seconds=samples[-1].at - samples[0].at if samples else 0.0,
        incomplete=sum(1 for s in samples if s.leaders == 0 and not s.complete),
        two_or_more=sum(1 for s in samples if s.leaders >= 2),
        gaps=tuple(gaps),
        allowed=allowed,
        leader_changes=changes,
    )


def first_leader_after(samples: Sequence[LeaderSample], moment: float) -> float | None:
    """The time of the first sample after `moment` with exactly one leader (None: never)."""
    return next((s.at for s in samples if s.at > moment and s.leaders == 1), None)


# --- activations under load ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Answer:
    """One recommendation request of the load: which replica, when sent and received, what came."""

    replica: int
    sent: float
    received: float
    status: int
    model_id: str | None


@dataclass(frozen=True, slots=True)
class Switch:
    """An activation: `target` asked at `asked`, its admin call answered at `answered`."""

    target: str
    asked: float
    answered: float


def switch_seconds(answers: Sequence[Answer], switch: Switch, replicas: int) -> float | None:
    """From the admin call's answer until every replica answers with `switch.target`: the latest of
    the replicas' first answers with it to a request sent after the call was made (0 when all had
    switched before the answer); None when one replica never did."""
    firsts: dict[int, float] = {}
    for answer in answers:
        if answer.sent >= switch.asked and answer.model_id == switch.target and answer.status == 200:
            firsts.setdefault(answer.replica, answer.received)
    if len(firsts) < replicas:
        return None
    return max(0.0, max(firsts.values()) - switch.answered)


def mixing_violations(answers: Sequence[Answer], switches: Sequence[Switch], known: set[str]) -> int:
    """Answers that break "no answer mixing versions": a model id other than the two, or, between two
    activations, a replica answering the old version to a request sent after it had answered the
    new one. Answers are taken in order of sending."""
    bad = sum(1 for a in answers if a.status == 200 and a.model_id not in known)
    bounds = [s.asked for s in switches] + [math.inf]
    for number, switch in enumerate(switches):
        window = [a for a in answers if bounds[number] <= a.sent < bounds[number + 1] and a.status == 200]
        switched_at: dict[int, float] = {}
        for answer in sorted(window, key=lambda a: a.sent):
            seen = switched_at.get(answer.replica)
            if answer.model_id == switch.target:
                if seen is None or answer.received < seen:
                    switched_at[answer.replica] = answer.received
            elif seen is not None and answer.sent > seen:
                bad += 1
    return bad

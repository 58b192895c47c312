"""The analysis of `make bench-replicas` (bench/replicas_analysis.py): each verdict it prints can fail."""

from __future__ import annotations

import math

from bench.replicas_analysis import (
    Answer,
    LeaderSample,
    Switch,
    analyse_leaders,
    first_leader_after,
    mixing_violations,
    percentile,
    switch_seconds,
)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0 and percentile([3.0], 99) == 3.0
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert math.isnan(percentile([], 50))


def samples(*rows: tuple[float, tuple[int | None, ...]]) -> list[LeaderSample]:
    return [LeaderSample(at, flags) for at, flags in rows]


def test_one_leader_throughout_and_a_takeover_inside_its_window() -> None:
    run = samples(
        (0.0, (1, 0, 0)), (0.1, (1, 0, 0)),
        (0.2, (None, 0, 0)), (0.3, (0, 0, 0)),  # killed at 0.15 (no answer, then dead): nobody
        (0.4, (0, 1, 0)), (0.5, (0, 1, 0)),
    )  # fmt: skip
    report = analyse_leaders(run, takeovers=[(0.15, 0.15 + 7)])
    assert report.samples == 6 and report.two_or_more == 0 and report.leader_changes == 1
    assert [(g.start, g.end) for g in report.gaps] == [(0.3, 0.4)] and report.incomplete == 1
    assert report.allowed == report.gaps and report.exactly_one
    assert first_leader_after(run, 0.15) == 0.4 and first_leader_after(run, 0.5) is None


def test_two_leaders_or_a_gap_outside_a_takeover_fail_the_check() -> None:
    doubled = analyse_leaders(samples((0.0, (1, 0, 0)), (0.1, (1, 1, 0)), (0.2, (0, 1, 0))))
    assert doubled.two_or_more == 1 and not doubled.exactly_one

    gap = analyse_leaders(samples((0.0, (1, 0, 0)), (0.1, (0, 0, 0)), (0.2, (1, 0, 0))), [(5.0, 9.0)])
    assert len(gap.unexplained) == 1 and not gap.exactly_one
    silent = analyse_leaders(samples((0.0, (1, 0, 0)), (0.1, (None, 0, 0)), (0.2, (0, 0, 0))))
    assert silent.incomplete == 1 and [(g.start, g.end) for g in silent.gaps] == [(0.2, 0.2)]
    assert not silent.exactly_one  # the silent sample is skipped, the complete one still counts
    still_open = analyse_leaders(samples((0.0, (1, 0)), (0.1, (0, 0)), (0.3, (0, 0))))
    assert [(g.start, g.end) for g in still_open.gaps] == [(0.1, 0.3)]


def test_the_switch_time_is_the_last_replicas_first_new_answer_after_the_call() -> None:
    switch = Switch("new", asked=10.0, answered=10.2)
    answers = [
        Answer(0, 9.9, 10.25, 200, "new"),  # sent before the call: does not count
        Answer(0, 10.1, 10.3, 200, "new"),
        Answer(1, 10.1, 10.15, 200, "new"),  # before the answer: counts as 0
        Answer(2, 10.2, 10.4, 200, "old"),
        Answer(2, 10.5, 10.7, 200, "new"),
    ]
    assert math.isclose(switch_seconds(answers, switch, replicas=3) or -1, 0.5)
    assert switch_seconds(answers[:4], switch, replicas=3) is None  # replica 2 never switched


def test_an_old_answer_after_the_replica_switched_or_an_unknown_version_is_mixing() -> None:
    switches = [Switch("b", 10.0, 10.1), Switch("a", 20.0, 20.1)]
    clean = [
        Answer(0, 10.0, 10.3, 200, "a"),  # in flight at the switch: old is fine
        Answer(0, 10.05, 10.2, 200, "b"),
        Answer(0, 10.1, 10.4, 200, "a"),  # sent before the new answer arrived (10.2): fine
        Answer(0, 20.5, 20.6, 200, "a"),  # the next activation's
        Answer(1, 10.5, 10.6, 503, None),  # a failure is counted elsewhere, not as mixing
    ]
    assert mixing_violations(clean, switches, {"a", "b"}) == 0
    late_old = [*clean, Answer(0, 10.25, 10.5, 200, "a")]
    assert mixing_violations(late_old, switches, {"a", "b"}) == 1
    stranger = [*clean, Answer(1, 11.0, 11.1, 200, "c")]
    assert mixing_violations(stranger, switches, {"a", "b"}) == 1

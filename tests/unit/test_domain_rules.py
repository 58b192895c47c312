from __future__ import annotations

import pytest

from domain.errors import ConflictError, InvalidArgumentError
from domain.ids import MAX_ID, parse_id, parse_id_list, parse_k
from domain.interaction import PositiveRule
from domain.model_version import TrainParams
from domain.recommendation import RankedList
from domain.training_job import JobTrigger, TrainingJob


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5", "", str(MAX_ID + 1), 0, True, None])
def test_bad_ids_are_refused(raw: object) -> None:
    with pytest.raises(InvalidArgumentError, match="user_id"):
        parse_id(raw, "user_id")


def test_ids_parse_from_text_and_int() -> None:
    assert parse_id("42", "user_id") == 42
    assert parse_id(MAX_ID, "title_id") == MAX_ID
    assert parse_id_list("3, 1,2", "exclude") == frozenset({1, 2, 3})


@pytest.mark.parametrize(("raw", "expected"), [(None, 10), ("", 10), ("1", 1), (200, 200)])
def test_k_defaults_and_bounds(raw: object, expected: int) -> None:
    assert parse_k(raw) == expected


@pytest.mark.parametrize("raw", ["0", "201", "x", -3, 1.5])
def test_k_out_of_range(raw: object) -> None:
    with pytest.raises(InvalidArgumentError, match="k must"):
        parse_k(raw)


def test_positive_rule_follows_the_contract() -> None:
    rule = PositiveRule({"rating": 1.0, "view": 0.5}, rating_min_positive=4)
    assert rule.is_positive("view", None)
    assert not rule.is_positive("bookmark", None)
    assert not rule.is_positive("rating", 3.0)
    assert not rule.is_positive("rating", None)
    assert rule.weight("rating", 4.0, max_rating=5.0) == pytest.approx(0.8)
    assert rule.weight("rating", 2.0, max_rating=5.0) == 0.0
    assert rule.weight("view", None, max_rating=5.0) == 0.5


def test_hot_event_validation_names_allowed_types() -> None:
    rule = PositiveRule()
    with pytest.raises(InvalidArgumentError, match="bookmark, rating, view"):
        rule.validate_event(1, 2, "like", None)
    with pytest.raises(InvalidArgumentError, match="finite raw_score"):
        rule.validate_event(1, 2, "rating", float("nan"))
    assert rule.validate_event("7", 9, "view", None) == (7, 9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"loss": "hinge"},
        {"no_components": 0},
        {"no_components": 1025},
        {"epochs": 0},
        {"learning_rate": 0.0},
        {"learning_rate": 1.5},
        {"item_alpha": -0.1},
        {"user_alpha": float("inf")},
    ],
)
def test_train_params_refuse_out_of_range(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentError):
        TrainParams(**kwargs)  # type: ignore[arg-type]


def test_ranked_list_filter_keeps_order_and_cuts() -> None:
    ranked = RankedList.of([5, 4, 3, 2, 1], [0.9, 0.8, 0.7, 0.6, 0.5])
    kept = ranked.filtered({4, 2}, 2)
    assert kept.title_ids == (5, 3)
    assert kept.scores == (0.9, 0.7)


@pytest.mark.parametrize(
    ("banned", "k", "expected"),
    [
        (frozenset(), 3, (5, 4, 3)),  # nothing banned in the head: the head as it is
        (frozenset({9}), 3, (5, 4, 3)),
        (frozenset({3}), 3, (5, 4, 2)),  # one banned inside the head: the next one moves up
        ([3], 3, (5, 4, 2)),  # any collection, not only sets
        (frozenset({5, 4, 3, 2, 1}), 3, ()),
        (frozenset(), 9, (5, 4, 3, 2, 1)),  # k beyond the list
    ],
)
def test_ranked_list_filter_with_and_without_banned_titles_in_the_head(
    banned: frozenset[int] | list[int], k: int, expected: tuple[int, ...]
) -> None:
    ranked = RankedList.of([5, 4, 3, 2, 1], [0.9, 0.8, 0.7, 0.6, 0.5])
    kept = ranked.filtered(banned, k)
    assert kept.title_ids == expected
    score_of = dict(zip(ranked.title_ids, ranked.scores, strict=True))
    assert kept.scores == tuple(score_of[t] for t in expected)


def test_finished_job_cannot_change() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    job = TrainingJob("j", JobTrigger.MANUAL, TrainParams(), now).start(now).fail(now, "boom")
    with pytest.raises(ConflictError):
        job.cancel(now)

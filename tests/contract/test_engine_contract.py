"""The `RecommenderEngine` and `Scorer` contract, run against the fake engine and LightFM.

Both train from their own source's training data (the in-memory fake's, and the SQL source's over a
SQLite file holding the same rows); what any engine's scorer must do is checked on the result:
lists of the asked length, ranked, without the exclusions, within `only`; similar titles without
the title itself; cold start by known feature names only; fold-in and new titles.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.lightfm_engine import LightFMEngine
from adapters.memory.engine import FakeEngine
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_source_engine
from application.ports import RecommenderEngine, Scorer, TrainingOutcome
from domain.errors import TrainingFailedError
from domain.interaction import PositiveRule
from domain.model_version import TrainParams
from tests.contract.source_data import Event, active, fill_source, memory_source

PARAMS = TrainParams(no_components=8, epochs=3)
T0 = datetime(2026, 6, 1)
TITLES = list(range(1, 31))
KNOWN = "known:group-0"  # a feature name both engines know: the fake by its prefix, LightFM from training


def events(n_users: int = 40) -> list[Event]:
    """Each user rates the titles of their group (id mod 2) and views one title of the other."""
    rows: list[Event] = []
    for user in range(1, n_users + 1):
        for title in TITLES:
            if title % 2 == user % 2 and (title + user) % 3:
                rows.append((user, title, "rating", 5.0, T0 + timedelta(hours=title)))
        rows.append((user, 1 + (user % 2 == 0), "view", None, T0))
    return rows


def user_features(n_users: int = 40) -> list[tuple[int, str, float]]:
    return [(u, f"known:group-{u % 2}", 1.0) for u in range(1, n_users + 1)]


Train = Callable[..., Awaitable[tuple[RecommenderEngine, TrainingOutcome]]]


@pytest.fixture(params=["fake", "lightfm"])
def train(request: pytest.FixtureRequest, tmp_path: Path) -> Train:
    async def run(rows: list[Event] | None = None, epochs_seen: list[tuple[int, int]] | None = None) -> Any:
        rows = events() if rows is None else rows
        named: dict[str, Any] = {
            "user_ids": range(1, 41),
            "user_feature_rows": user_features(),
            "title_feature_rows": [(t, f"known:group-{t % 2}", 1.0) for t in TITLES],
        }
        engine: RecommenderEngine
        data: Any
        if request.param == "fake":
            engine = FakeEngine(PositiveRule())
            data = await memory_source(active(TITLES), rows, **named).load_training_data()
        else:
            engine = LightFMEngine(PositiveRule(), threads=1)
            url = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
            await fill_source(url, active(TITLES), rows, **named)
            sql = create_source_engine(url)
            try:
                data = await SqlAlchemyInteractionSource(sql, PositiveRule()).load_training_data()
            finally:
                await sql.dispose()

        async def on_epoch(done: int, total: int) -> None:
            if epochs_seen is not None:
                epochs_seen.append((done, total))

        return engine, await engine.train(data, PARAMS, on_epoch)

    return run


async def scorer_of(train: Train) -> Scorer:
    engine, outcome = await train()
    return await engine.build_scorer(outcome.bundle)


def assert_ranked(ranked: Any, n: int) -> None:
    ids, scores = list(ranked.title_ids), list(ranked.scores)
    assert len(ids) == n and len(set(ids)) == n
    assert scores == sorted(scores, reverse=True)


async def test_training_reports_its_epochs_and_its_quality(train: Train) -> None:
    seen: list[tuple[int, int]] = []
    _, outcome = await train(epochs_seen=seen)
    assert seen[-1][0] == seen[-1][1] and [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert outcome.stats.n_items == len(TITLES) and outcome.stats.n_users == 40
    for name in ("precision_at_10", "recall_at_10", "auc"):
        assert 0.0 <= outcome.metrics[name] <= 1.0


async def test_no_positive_interaction_fails_the_training_clearly(train: Train) -> None:
    with pytest.raises(TrainingFailedError):
        await train([(1, 1, "rating", 1.0, T0)])  # a low rating is no positive


async def test_personal_lists_are_ranked_of_the_asked_length_without_exclusions(train: Train) -> None:
    scorer = await scorer_of(train)
    assert scorer.knows_user(1) and not scorer.knows_user(10**9)
    assert scorer.knows_title(3) and not scorer.knows_title(10**9)
    excluded = {2, 4, 6}
    ranked = scorer.top_for_user(1, 10, excluded)
    assert_ranked(ranked, 10)
    assert not excluded & set(ranked.title_ids)
    only = {5, 7, 9, 11}
    within = scorer.top_for_user(1, 10, set(), only=only)
    assert set(within.title_ids) == only  # fewer qualify than asked: all of them


async def test_similar_titles_leave_out_the_title_and_the_exclusions(train: Train) -> None:
    scorer = await scorer_of(train)
    ranked = scorer.similar_titles(3, 5, {5})
    assert_ranked(ranked, 5)
    assert not {3, 5} & set(ranked.title_ids)


async def test_cold_start_ranks_by_known_feature_names_only(train: Train) -> None:
    scorer = await scorer_of(train)
    assert_ranked(scorer.top_for_features({KNOWN: 1.0}, 5, set()), 5)
    assert len(scorer.top_for_features({"nobody:knows": 1.0}, 5, set())) == 0
    assert_ranked(scorer.similar_to_features({"known:group-1": 1.0}, 5, set()), 5)


async def test_fold_in_moves_a_user_toward_a_known_title_only(train: Train) -> None:
    scorer = await scorer_of(train)
    assert not scorer.fold_in_user(1, 10**9, 1.0)
    before = dict(
        zip(
            scorer.top_for_user(1, 30, set()).title_ids, scorer.top_for_user(1, 30, set()).scores, strict=True
        )
    )
    assert scorer.fold_in_user(1, 2, 2.0)
    after = scorer.top_for_user(1, 30, set())
    assert dict(zip(after.title_ids, after.scores, strict=True)) != before
    assert scorer.fold_in_user(777, 3, 1.0, {KNOWN: 1.0})  # a user new to the model
    assert scorer.knows_user(777)
    assert_ranked(scorer.top_for_user(777, 5, set()), 5)


async def test_new_titles_join_by_known_features(train: Train) -> None:
    scorer = await scorer_of(train)
    assert scorer.add_titles({100: {"known:group-0": 1.0}, 101: {"nobody:knows": 1.0}, 3: {KNOWN: 1.0}}) == 1
    assert scorer.knows_title(100) and not scorer.knows_title(101)
    assert 100 in scorer.top_for_user(1, 31, set()).title_ids

"""One behaviour for every `InteractionSource` and `FeatureSource`: the in-memory fake, and the SQL
adapters on SQLite and MariaDB (the same rows written into each).

What only the SQL source has (replaced queries, training columns, query errors, index advice) is in
`test_sql_source_contract.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC
from typing import Any

import pytest

from adapters.seen_index.features import InMemoryFeatures
from adapters.source.sqlalchemy_features import SqlAlchemyFeatureSource
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_source_engine
from application.ports import FeatureSource, InteractionSource
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.interaction import PositiveRule
from tests.contract.source_data import NOW, Event, active, ago, fill_source, memory_source

Make = Callable[..., Awaitable[Any]]


@pytest.fixture
async def make_source(db_url: str | None) -> AsyncIterator[Make]:
    """Builds a source holding the given rows (the `fill_source` arguments)."""
    engines: list[Any] = []

    async def make(
        *rows: Any, rule: PositiveRule | None = None, popular_window_days: int = 30, **named: Any
    ) -> InteractionSource:
        rule = rule or PositiveRule()
        if db_url is None:
            return memory_source(*rows, rule=rule, popular_window_days=popular_window_days, **named)
        await fill_source(db_url, *rows, **named)
        engines.append(create_source_engine(db_url))
        return SqlAlchemyInteractionSource(
            engines[-1], rule, popular_window_days=popular_window_days, now=lambda: NOW
        )

    yield make
    for engine in engines:
        await engine.dispose()


@pytest.fixture(params=["read", "held"])
async def make_features(db_url: str | None, request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    """The source's features as read per lookup, and as held in memory after one refresh."""
    engines: list[Any] = []

    async def make(*rows: Any, **named: Any) -> FeatureSource:
        read: FeatureSource
        if db_url is None:
            read = memory_source(*rows, **named)
        else:
            await fill_source(db_url, *rows, **named)
            engines.append(create_source_engine(db_url))
            read = SqlAlchemyFeatureSource(engines[-1])
        if request.param == "read":
            return read
        held = InMemoryFeatures(read)
        await held.refresh()
        return held

    yield make
    for engine in engines:
        await engine.dispose()


async def test_catalogue_eligibility_and_popular_positives(make_source: Make) -> None:
    events: list[Event] = [
        *[(u, 3, "view", None, ago(1)) for u in (1, 2, 3)],
        (1, 4, "rating", 5.0, ago(1)),
        *[(u, 4, "rating", 3.0, ago(1)) for u in (2, 3, 4)],  # below 4: not positives
        (1, 5, "bookmark", None, ago(2)),
        *[(u, 5, "click", None, ago(1)) for u in (2, 3, 4)],  # unknown type
        (1, 1, "view", None, ago(1)),
    ]
    titles = [(1, "Gone", False), (2, "Banned", True), *active([3, 4, 5, 6])]
    source = await make_source(titles, events, [(2, "legal request"), (9, None)])

    catalogue = await source.load_catalogue()

    assert catalogue.title_ids == frozenset({1, 2, 3, 4, 5, 6})
    assert catalogue.inactive == frozenset({1})
    assert set(catalogue.source_blacklist) == {
        BlacklistEntry(2, "legal request", BlacklistOrigin.SOURCE),
        BlacklistEntry(9, None, BlacklistOrigin.SOURCE),
    }
    assert catalogue.popular.title_ids == (3, 4, 5, 6)
    assert catalogue.popular.scores == (3.0, 1.0, 1.0, 0.0)


POSITIVES: list[Event] = [
    *[(u, 1, "view", None, ago(1)) for u in (1, 2, 3)],
    (1, 2, "rating", 5.0, ago(1)),
    (2, 2, "rating", 5.0, ago(2)),
    *[(u, 2, "rating", 3.0, ago(1)) for u in (3, 4, 5)],  # below 4: not positives
    (6, 2, "rating", None, ago(1)),  # a rating without a score is no positive
    (1, 3, "bookmark", None, ago(1)),
    *[(u, 3, "click", None, ago(1)) for u in (2, 3, 4, 5)],  # unknown type
    (1, 4, "rating", 4.0, ago(1)),  # exactly the threshold counts
]


async def test_popular_counts_positives_by_the_default_rule(make_source: Make) -> None:
    popular = (await (await make_source(active(range(1, 6)), POSITIVES)).load_catalogue()).popular

    assert popular.title_ids == (1, 2, 3, 4, 5)  # 3 and 4 tie: id ascending; 5 has none
    assert popular.scores == (3.0, 2.0, 1.0, 1.0, 0.0)


async def test_popular_follows_the_configured_rule(make_source: Make) -> None:
    lenient = PositiveRule(weights={"view": 1.0, "rating": 1.0}, rating_min_positive=3.0)
    source = await make_source(active(range(1, 6)), POSITIVES, rule=lenient)

    popular = (await source.load_catalogue()).popular

    assert popular.title_ids == (2, 1, 4, 3, 5)
    assert popular.scores == (5.0, 3.0, 1.0, 0.0, 0.0)


async def test_popular_uses_the_window_when_it_holds_200_titles(make_source: Make) -> None:
    recent: list[Event] = [(1, title_id, "view", None, ago(2)) for title_id in range(1, 251)]
    recent += [(u, 7, "view", None, ago(29.9)) for u in (2, 3)]
    old: list[Event] = [(u, 300, "view", None, ago(31)) for u in range(1, 11)]
    source = await make_source(active(range(1, 301)), recent + old)

    popular = (await source.load_catalogue()).popular

    assert len(popular) == 300
    assert popular.title_ids[:3] == (7, 1, 2)
    assert popular.scores[:2] == (3.0, 1.0)
    assert popular.title_ids[250:] == tuple(range(251, 301))  # no positive in the window, id order
    assert set(popular.scores[250:]) == {0.0}


async def test_popular_falls_back_to_all_time(make_source: Make) -> None:
    recent: list[Event] = [(1, title_id, "view", None, ago(2)) for title_id in range(1, 11)]
    old: list[Event] = [(u, 300, "view", None, ago(90)) for u in range(1, 11)]
    source = await make_source(active([*range(1, 11), 300]), recent + old, popular_window_days=120)

    popular = (await source.load_catalogue()).popular

    assert popular.title_ids == (300, *range(1, 11))  # fewer than 200 titles either way
    assert popular.scores == (10.0, *[1.0] * 10)


async def test_seen_titles_are_every_interaction_of_the_user(make_source: Make) -> None:
    events: list[Event] = [
        (1, 10, "view", None, ago(1)),
        (1, 11, "rating", 1.0, ago(400)),
        (1, 12, "click", None, ago(3)),
        (2, 13, "view", None, ago(1)),
    ]
    source = await make_source(active(range(10, 14)), events)

    assert await source.seen_titles(1) == frozenset({10, 11, 12})
    assert await source.seen_titles(99) == frozenset()


async def test_concurrent_seen_lookups_each_get_their_own_titles(make_source: Make) -> None:
    """Concurrent cache misses share one statement; each user still gets exactly their titles,
    however long their history (here 200 titles with 19-digit ids: far beyond MySQL's default
    1,024-byte GROUP_CONCAT limit)."""
    big = 2**63 - 1
    events: list[Event] = [(u, t, "view", None, ago(1)) for u in range(1, 31) for t in range(u, 2 * u + 1)]
    events += [(big, big - t, "rating", 2.0, ago(2)) for t in range(200)]
    events += [(big, big, "view", None, ago(1)), (big, big, "bookmark", None, ago(1))]
    source = await make_source(active([1]), events)

    users = [*range(1, 31), big, 99]
    found = await asyncio.gather(*(source.seen_titles(user) for user in users))

    for user, titles in zip(users[:30], found, strict=False):
        assert titles == frozenset(range(user, 2 * user + 1))
    assert found[30] == frozenset(big - t for t in range(200))
    assert found[31] == frozenset()


async def test_training_data_counts_and_cutoff(make_source: Make) -> None:
    events: list[Event] = [
        (1, 10, "view", None, ago(3)),
        (2, 10, "rating", 2.0, ago(1)),  # not a positive, still read
        (2, 11, "click", None, ago(2)),  # a type without a weight, still read
    ]
    source = await make_source([(10, "A", True), (11, "B", False), (12, "C", True)], events)

    data = await source.load_training_data()

    assert (data.stats.n_users, data.stats.n_items, data.stats.n_interactions) == (2, 3, 3)
    assert data.cutoff == ago(1).replace(tzinfo=UTC)


async def test_training_data_without_interactions_has_no_cutoff(make_source: Make) -> None:
    data = await (await make_source(active([1, 2]))).load_training_data()
    assert (data.stats.n_interactions, data.stats.n_items, data.cutoff) == (0, 2, None)


async def test_features_of_one_user_or_title_add_up_by_name(make_features: Make) -> None:
    features = await make_features(
        active([1, 2]),
        user_feature_rows=[(5, "age:25-34", 1.0), (5, "genre:drama", 0.5), (5, "genre:drama", 0.25)],
        title_feature_rows=[(2, "genre:drama", 1.0), (3, "genre:comedy", 1.0)],
    )

    assert await features.user_features(5) == {"age:25-34": 1.0, "genre:drama": 0.75}
    assert await features.user_features(6) == {}
    assert await features.title_features(2) == {"genre:drama": 1.0}
    assert await features.title_features(3) == {"genre:comedy": 1.0}  # a title the catalogue lacks
    assert await features.title_features(1) == {}


async def test_all_features_are_every_row_as_read(make_features: Make) -> None:
    features = await make_features(
        active([1, 2]),
        user_feature_rows=[(5, "age:25-34", 1.0), (7, "genre:drama", 0.5), (7, "genre:drama", 0.25)],
        title_feature_rows=[(2, "genre:drama", 1.0)],
    )
    users = await features.all_features("user")
    rows = sorted(zip(users.owners, users.features, users.weights, strict=True))
    assert rows == [(5, "age:25-34", 1.0), (7, "genre:drama", 0.25), (7, "genre:drama", 0.5)] or (
        # the fake holds features already summed by name
        rows == [(5, "age:25-34", 1.0), (7, "genre:drama", 0.75)]
    )
    titles = await features.all_features("title")
    assert list(zip(titles.owners, titles.features, titles.weights, strict=True)) == [(2, "genre:drama", 1.0)]


async def test_rows_without_a_usable_weight_count_for_nothing(make_features: Make) -> None:
    features = await make_features(
        active([1]),
        user_feature_rows=[(5, "age:25-34", 0.0), (5, "genre:comedy", 2.0), (6, "genre:drama", 0.0)],
        title_feature_rows=[(1, "genre:drama", 0.0)],
    )
    assert await features.user_features(5) == {"genre:comedy": 2.0}
    assert await features.user_features(6) == {}
    assert await features.title_features(1) == {}


async def test_ping_answers_while_the_source_is_up(make_source: Make) -> None:
    await (await make_source(active([1]))).ping()

"""Request-time feature filters: exactly k qualifying titles, even for a feature few titles have."""

from __future__ import annotations

import pytest

from application.cached_ranking import CACHED_LIST_SIZE
from application.recommend_for_user import RecommendQuery
from application.relevant_titles import RelevantQuery
from application.train_model import TrainCommand
from domain.errors import InvalidArgumentError
from domain.model_version import TrainParams
from domain.recommendation import ListSource
from domain.title_filter import MAX_FILTER_NAMES, TitleFilter
from tests.unit.conftest import World, build_world

RARE = frozenset(range(391, 401))  # ten titles nobody liked: below every cached top list
COMMON = frozenset(range(1, 391, 2))


@pytest.fixture
async def big() -> World:
    world = build_world()
    source = world.source
    for title in range(31, 401):
        source.titles[title] = True
    for title in range(31, 341):  # more than CACHED_LIST_SIZE titles with a positive
        source.add(6, title, "bookmark")
    for title in RARE:
        source.title_feature_map[title] = {"genre:rare": 1.0}
    for title in COMMON:
        source.title_feature_map.setdefault(title, {})["genre:common"] = 1.0
    await world.refresh.execute()
    await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    return world


def only(features: list[str] | None = None, not_features: list[str] | None = None) -> TitleFilter:
    return TitleFilter.of(features, not_features)


async def test_a_rare_feature_fills_k_from_beyond_the_cached_list(big: World) -> None:
    plain = await big.recommend.execute(RecommendQuery(user_id=1, k=CACHED_LIST_SIZE))
    assert not RARE & set(plain.items.title_ids)  # the cached list holds none of them

    for k in (3, 10):
        found = await big.recommend.execute(RecommendQuery(user_id=1, k=k, filter=only(["genre:rare"])))
        assert found.source is ListSource.MODEL and found.cached
        assert len(found.items) == k and set(found.items.title_ids) <= RARE
        assert list(found.items.scores) == sorted(found.items.scores, reverse=True)
    fewer = await big.recommend.execute(RecommendQuery(user_id=1, k=50, filter=only(["genre:rare"])))
    assert set(fewer.items.title_ids) == RARE  # exactly as many as qualify


async def test_not_feature_leaves_titles_out_and_still_fills_k(big: World) -> None:
    found = await big.recommend.execute(RecommendQuery(user_id=2, k=40, filter=only(None, ["genre:common"])))
    assert len(found.items) == 40 and not COMMON & set(found.items.title_ids)
    both = await big.recommend.execute(
        RecommendQuery(user_id=2, k=5, filter=only(["genre:rare", "genre:common"], ["genre:common"]))
    )
    assert len(both.items) == 5 and set(both.items.title_ids) <= RARE


async def test_filters_never_change_the_cached_list(big: World) -> None:
    before = await big.recommend.execute(RecommendQuery(user_id=3, k=10))
    await big.recommend.execute(RecommendQuery(user_id=3, k=10, filter=only(["genre:rare"])))
    after = await big.recommend.execute(RecommendQuery(user_id=3, k=10))
    assert after.cached and after.items == before.items


async def test_an_unknown_feature_is_no_error_just_nothing_qualifies(big: World) -> None:
    found = await big.recommend.execute(RecommendQuery(user_id=1, k=5, filter=only(["genre:none"])))
    assert found.items.title_ids == ()


async def test_the_blacklist_and_exclude_still_apply_within_the_filter(big: World) -> None:
    from domain.blacklist import BlacklistEntry, BlacklistOrigin

    big.state.set_admin_blacklist((BlacklistEntry(391, None, BlacklistOrigin.ADMIN),))
    found = await big.recommend.execute(
        RecommendQuery(user_id=1, k=20, exclude=frozenset({392}), filter=only(["genre:rare"]))
    )
    assert set(found.items.title_ids) == RARE - {391, 392}


async def test_popular_and_relevant_lists_are_filtered_too(big: World) -> None:
    popular = await big.recommend.execute(RecommendQuery(user_id=999, k=4, filter=only(["genre:rare"])))
    assert popular.source is ListSource.POPULAR and len(popular.items) == 4
    assert set(popular.items.title_ids) <= RARE
    similar = await big.relevant.execute(RelevantQuery(title_id=35, k=6, filter=only(["genre:rare"])))
    assert len(similar.items) == 6 and set(similar.items.title_ids) <= RARE


def test_at_most_twenty_names_in_all() -> None:
    names = [f"f{i}" for i in range(MAX_FILTER_NAMES)]
    assert len(TitleFilter.of(names[:10], names[10:]).features) == 10
    with pytest.raises(InvalidArgumentError, match="at most 20"):
        TitleFilter.of(names, ["one more"])
    with pytest.raises(InvalidArgumentError, match="feature name"):
        TitleFilter.of([""])
    assert not TitleFilter.of(None, None)

from __future__ import annotations

import pytest

from application.recommend_for_user import CACHED_LIST_SIZE, RecommendQuery
from application.relevant_titles import RelevantQuery
from application.train_model import TrainCommand
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import NotFoundError, SourceUnavailableError
from domain.model_version import TrainParams
from domain.recommendation import ListSource
from tests.unit.conftest import World


async def trained(world: World) -> str:
    job = await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    assert job.model_id
    return job.model_id


async def test_popular_list_without_a_model_excludes_seen(world: World) -> None:
    recs = await world.recommend.execute(RecommendQuery(user_id=1, k=5))
    assert recs.source is ListSource.POPULAR and recs.model_id is None
    seen = await world.source.seen_titles(1)
    assert not seen & set(recs.items.title_ids)
    assert len(recs.items) == 5
    assert recs.items.scores == tuple(sorted(recs.items.scores, reverse=True))


async def test_unknown_user_gets_popular_from_the_model_era(world: World) -> None:
    model_id = await trained(world)
    recs = await world.recommend.execute(RecommendQuery(user_id=999, k=3))
    assert recs.source is ListSource.POPULAR
    assert recs.model_id == model_id
    assert recs.items.title_ids == (1, 2, 3)


async def test_known_user_gets_model_list_then_cached_one(world: World) -> None:
    model_id = await trained(world)
    first = await world.recommend.execute(RecommendQuery(user_id=1, k=10))
    second = await world.recommend.execute(RecommendQuery(user_id=1, k=10))
    assert first.source is ListSource.MODEL and first.model_id == model_id
    assert (first.cached, second.cached) == (False, True)
    assert first.items == second.items
    assert not (await world.source.seen_titles(1)) & set(first.items.title_ids)
    assert 20 not in first.items.title_ids  # a low rating is still "seen"


async def test_ineligible_titles_are_filtered_from_a_cached_list(world: World) -> None:
    await trained(world)
    before = await world.recommend.execute(RecommendQuery(user_id=2, k=5))
    victim = before.items.title_ids[0]
    world.state.set_admin_blacklist((BlacklistEntry(victim, "takedown", BlacklistOrigin.ADMIN),))
    after = await world.recommend.execute(RecommendQuery(user_id=2, k=5))
    assert after.cached
    assert victim not in after.items.title_ids
    assert len(after.items) == 5
    world.state.set_admin_blacklist(())
    again = await world.recommend.execute(RecommendQuery(user_id=2, k=5))
    assert again.items == before.items


async def test_exclude_applies_and_k_is_kept(world: World) -> None:
    await trained(world)
    base = await world.recommend.execute(RecommendQuery(user_id=3, k=4))
    shown = frozenset(base.items.title_ids[:2])
    recs = await world.recommend.execute(RecommendQuery(user_id=3, k=4, exclude=shown))
    assert not shown & set(recs.items.title_ids)
    assert len(recs.items) == 4


async def test_filters_eating_a_full_cached_list_trigger_a_fresh_ranking(world: World) -> None:
    for title in range(100, 100 + CACHED_LIST_SIZE + 20):
        world.source.titles[title] = True
    model_id = await trained(world)
    await world.refresh.execute()
    first = await world.recommend.execute(RecommendQuery(user_id=1, k=5))
    cached = await world.cache.get(__import__("application.ports").ports.CacheKey("user", model_id, 1))
    assert cached is not None and len(cached) == CACHED_LIST_SIZE
    exclude = frozenset(cached.title_ids)
    recs = await world.recommend.execute(RecommendQuery(user_id=1, k=5, exclude=exclude))
    assert len(recs.items) == 5
    assert not exclude & set(recs.items.title_ids)
    assert first.items.title_ids != recs.items.title_ids


async def test_source_down_on_a_cache_miss_is_unavailable(world: World) -> None:
    await trained(world)
    world.source.available = False
    with pytest.raises(SourceUnavailableError):
        await world.recommend.execute(RecommendQuery(user_id=4))


async def test_relevant_titles(world: World) -> None:
    model_id = await trained(world)
    recs = await world.relevant.execute(RelevantQuery(title_id=3, k=5))
    assert recs.model_id == model_id and recs.source is ListSource.MODEL
    assert 3 not in recs.items.title_ids and len(recs.items) == 5
    again = await world.relevant.execute(RelevantQuery(title_id=3, k=5))
    assert again.cached and again.items == recs.items
    with pytest.raises(NotFoundError):
        await world.relevant.execute(RelevantQuery(title_id=12345))


async def test_relevant_without_model_is_popular_minus_self(world: World) -> None:
    recs = await world.relevant.execute(RelevantQuery(title_id=1, k=3))
    assert recs.source is ListSource.POPULAR
    assert recs.items.title_ids == (2, 3, 4)


async def test_inactive_titles_never_served(world: World) -> None:
    world.source.titles[1] = False
    await world.refresh.execute()
    recs = await world.recommend.execute(RecommendQuery(user_id=50, k=5))
    assert 1 not in recs.items.title_ids
    await trained(world)
    for user in (1, 2, 50):
        recs = await world.recommend.execute(RecommendQuery(user_id=user, k=20))
        assert 1 not in recs.items.title_ids

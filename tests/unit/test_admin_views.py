"""The admin read models over the fakes: titles with their state, a user's merged history, and the
list any version would give a user now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers

from adapters.memory.lookups import InMemoryHotEventHistory, InMemorySourceLookup
from application.admin_views import MAX_HISTORY, AdminViews, EventOrigin
from application.recommend_for_user import RecommendQuery
from application.train_model import TrainCommand
from application.version_recommendations import VersionRecommendations
from domain.errors import ArtifactError, ConflictError, InvalidArgumentError, NotFoundError
from domain.interaction import Interaction
from domain.model_version import TrainParams
from domain.recommendation import ListSource
from domain.title_filter import TitleFilter
from tests.unit.conftest import World, build_world

FAST = TrainParams(epochs=3)
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
async def world() -> World:
    built = build_world()
    lookup = InMemorySourceLookup(built.source, names={3: HOSTILE})
    built.container.source_lookup.override(providers.Object(lookup))
    built.container.hot_history.override(providers.Object(InMemoryHotEventHistory(built.events)))
    await built.refresh.execute()
    return built


def views(world: World) -> AdminViews:
    return world.container.admin_views()


def versions(world: World) -> VersionRecommendations:
    return world.container.version_recommendations()


async def test_titles_in_the_order_asked_with_state_and_names(world: World) -> None:
    world.source.titles[4] = False
    world.source.title_feature_map[3] = {"genre:Drama": 1.0}
    await world.blacklist.put(5, "legal")
    await world.refresh.execute()

    before = await views(world).titles([5, 999, 3, 4, 3])

    assert [v.record.title_id for v in before] == [5, 3, 4]  # 999 is not in the catalogue
    five, three, four = before
    assert three.record.name == HOSTILE and dict(three.record.features) == {"genre:Drama": 1.0}
    assert five.blacklisted and not three.blacklisted
    assert not four.record.is_active and three.record.is_active
    assert not any(v.known_to_model for v in before)  # no model yet

    await world.train.execute(TrainCommand(FAST))
    world.source.titles[35] = True  # new in the catalogue since the training
    await world.refresh.execute()
    after = await views(world).titles([3, 35])
    assert [v.known_to_model for v in after] == [True, False]


@pytest.mark.parametrize("ids", [[], list(range(1, 502))])
async def test_title_id_lists_are_bounded(world: World, ids: list[int]) -> None:
    with pytest.raises(InvalidArgumentError):
        await views(world).titles(ids)


async def test_a_users_history_merges_source_and_hot_events_newest_first(world: World) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    world.source.user_feature_map[1] = {"age:30s": 1.0}
    await world.events.add(Interaction(1, 25, "view", None, t0 + timedelta(days=2)))
    await world.events.add(Interaction(2, 26, "view", None, t0 + timedelta(days=3)))  # someone else's
    world.source.add(1, 21, "rating", 5.0, t0 + timedelta(days=1))

    user = await views(world).user(1)

    first, second = user.interactions[:2]
    assert (first.event.title_id, first.origin) == (25, EventOrigin.HOT)
    assert (second.event.title_id, second.origin, second.event.raw_score) == (21, EventOrigin.SOURCE, 5.0)
    assert {h.event.title_id for h in user.interactions} == {25, 21, *range(1, 10), 20}
    assert all(h.event.user_id == 1 for h in user.interactions)
    stamps = [h.event.created_at for h in user.interactions]
    assert stamps == sorted(stamps, reverse=True)
    assert dict(user.features) == {"age:30s": 1.0} and not user.known_to_model


async def test_history_is_cut_at_its_limit_and_an_unknown_user_is_empty(world: World) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(MAX_HISTORY + 20):
        world.source.add(7, 1 + n % 30, "view", None, t0 + timedelta(minutes=n))
    user = await views(world).user(7)
    assert len(user.interactions) == MAX_HISTORY
    assert user.interactions[0].event.created_at == t0 + timedelta(minutes=MAX_HISTORY + 19)

    nobody = await views(world).user(424242)
    assert nobody.interactions == () and dict(nobody.features) == {} and not nobody.known_to_model


async def test_known_to_model_follows_the_active_model(world: World) -> None:
    await world.train.execute(TrainCommand(FAST))
    assert (await views(world).user(1)).known_to_model
    assert not (await views(world).user(99)).known_to_model


async def test_the_active_versions_list_is_the_public_one_uncached(world: World) -> None:
    job = await world.train.execute(TrainCommand(FAST))
    assert job.model_id is not None
    public = await world.recommend.execute(RecommendQuery(1, 5))

    mine = await versions(world).execute(job.model_id, RecommendQuery(1, 5))

    assert mine.items == public.items and mine.source is ListSource.MODEL
    assert mine.model_id == job.model_id and not mine.cached


async def test_another_version_gives_its_own_list_leaving_out_seen_and_blacklisted(world: World) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    for user in range(10, 30):  # title 28 becomes the most popular in the second version's data
        world.source.add(user, 28, "bookmark")
    second = await world.train.execute(TrainCommand(FAST, activate=False))
    assert first.model_id and second.model_id and world.state.model_id == first.model_id
    await world.blacklist.put(27, None)

    other = await versions(world).execute(second.model_id, RecommendQuery(1, 5, frozenset({26})))
    active = await versions(world).execute(first.model_id, RecommendQuery(1, 5))

    assert other.model_id == second.model_id and other.items.title_ids[0] == 28
    assert 28 not in active.items.title_ids[:1]
    seen = {i.title_id for i in world.source.interactions if i.user_id == 1}
    assert not (set(other.items.title_ids) & (seen | {26, 27}))
    assert len(other.items) == 5


async def test_users_unknown_to_a_version_get_cold_start_or_popular(world: World) -> None:
    job = await world.train.execute(TrainCommand(FAST))
    assert job.model_id
    world.source.user_feature_map[500] = {"known:age": 1.0}
    cold = await versions(world).execute(job.model_id, RecommendQuery(500, 3))
    popular = await versions(world).execute(job.model_id, RecommendQuery(501, 3))
    assert cold.source is ListSource.COLD_START and popular.source is ListSource.POPULAR
    assert popular.items.title_ids == (1, 2, 3)


async def test_unknown_and_broken_versions(world: World) -> None:
    with pytest.raises(NotFoundError):
        await versions(world).execute("nope", RecommendQuery(1))
    await world.train.execute(TrainCommand(FAST))
    second = await world.train.execute(TrainCommand(FAST, activate=False))
    assert second.model_id
    del world.artifacts.bundles[second.model_id]
    with pytest.raises(ArtifactError) as refused:
        await versions(world).execute(second.model_id, RecommendQuery(1))
    assert isinstance(refused.value, ConflictError)  # 409 on both transports


async def test_a_versions_list_takes_the_public_routes_feature_filters(world: World) -> None:
    for title in (22, 24, 26):
        world.source.title_feature_map[title] = {"genre:X": 1.0}
    job = await world.train.execute(TrainCommand(FAST))
    assert job.model_id
    await world.refresh.execute()

    only = await versions(world).execute(
        job.model_id, RecommendQuery(1, 5, filter=TitleFilter.of(["genre:X"]))
    )
    without = await versions(world).execute(
        job.model_id, RecommendQuery(1, 5, filter=TitleFilter.of(None, ["genre:X"]))
    )
    public = await world.recommend.execute(RecommendQuery(1, 5, filter=TitleFilter.of(["genre:X"])))

    assert set(only.items.title_ids) == {22, 24, 26} and only.items == public.items
    assert len(without.items) == 5 and not set(without.items.title_ids) & {22, 24, 26}

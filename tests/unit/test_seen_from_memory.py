"""The seen index as the use cases keep and read it, over the fakes: the tail, outages, misses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.events import InMemoryHotEventStore
from adapters.memory.seen_index import InMemorySeenIndex
from adapters.memory.stores import SteppingClock
from adapters.seen_index.numpy_index import NumpySeenIndex
from application.follow_source_interactions import TAIL_OVERLAP, FollowSourceInteractions
from application.hot_seen import HotSeen
from application.ports import SeenIndex
from application.recommend_for_user import RecommendForUser, RecommendQuery
from application.record_interaction import InteractionCommand, RecordInteraction
from application.train_model import TrainCommand
from domain.errors import SourceUnavailableError
from domain.interaction import Interaction, PositiveRule
from tests.unit.conftest import World

T0 = datetime(2026, 1, 1, tzinfo=UTC)  # the fake source's default created_at


@pytest.fixture(params=["numpy", "fake"])
def index(request: pytest.FixtureRequest) -> SeenIndex:
    return NumpySeenIndex() if request.param == "numpy" else InMemorySeenIndex()


async def test_the_first_step_reads_everything_then_only_rows_from_the_watermark_minus_the_overlap(
    world: World, index: SeenIndex
) -> None:
    follow = FollowSourceInteractions(world.source, index)
    await follow.execute()
    assert index.ready and index.watermark == T0
    assert index.seen(1) == {i.title_id for i in world.source.interactions if i.user_id == 1}

    world.source.add(1, 25, "click", created_at=T0 + timedelta(seconds=5))
    world.source.add(2, 26, created_at=T0 - TAIL_OVERLAP + timedelta(seconds=1))  # committed late
    world.source.add(3, 27, created_at=T0 - TAIL_OVERLAP - timedelta(seconds=1))  # beyond the overlap
    assert await follow.execute() == 2
    assert 25 in index.seen(1) and 26 in index.seen(2) and 27 not in index.seen(3)
    assert index.recent(1) == {25} and index.watermark == T0 + timedelta(seconds=5)
    assert await follow.execute() == 0  # the overlap reads rows again: nothing new


async def test_while_the_source_is_down_the_index_keeps_serving_and_the_tail_resumes(
    world: World, index: SeenIndex
) -> None:
    follow = FollowSourceInteractions(world.source, index)
    await follow.execute()
    world.source.available = False
    world.source.add(4, 28, created_at=T0 + timedelta(minutes=1))
    with pytest.raises(SourceUnavailableError):
        await follow.execute()
    assert index.ready and index.watermark == T0 and 28 not in index.seen(4)
    world.source.available = True
    assert await follow.execute() == 1 and 28 in index.seen(4)


async def test_a_source_down_at_start_builds_the_index_when_it_returns(
    world: World, index: SeenIndex
) -> None:
    follow = FollowSourceInteractions(world.source, index)
    world.source.available = False
    with pytest.raises(SourceUnavailableError):
        await follow.execute()
    assert not index.ready
    world.source.available = True
    await follow.execute()
    assert index.ready and 1 in index.seen(1)


async def test_hot_events_of_every_replica_join_the_index_even_while_the_source_is_down(
    world: World, index: SeenIndex
) -> None:
    events = InMemoryHotEventStore()
    events.events.append(Interaction(7, 29, "view", None, T0 + timedelta(days=1)))  # stored before start
    follow = FollowSourceInteractions(world.source, index, events)
    await follow.execute()
    assert 29 in index.seen(7)
    world.source.available = False
    events.events.append(Interaction(8, 30, "bookmark", None, T0 + timedelta(days=1, seconds=3)))
    with pytest.raises(SourceUnavailableError):
        await follow.execute()
    assert 30 in index.seen(8)


async def _trained(world: World) -> None:
    job = await world.train.execute(TrainCommand())
    assert job.model_id is not None


async def test_a_miss_reads_the_index_not_the_source(world: World) -> None:
    await _trained(world)
    index = NumpySeenIndex()
    await FollowSourceInteractions(world.source, index).execute()
    recommend = RecommendForUser(
        world.state, world.source, world.cache, seen_index=index, tracker=world.container.list_tracker()
    )
    seen = await world.source.seen_titles(2)
    world.source.available = False  # any source read now fails the request

    found = await recommend.execute(RecommendQuery(user_id=2, k=5))

    assert len(found.items) == 5 and not seen & set(found.items.title_ids) and not found.cached


async def test_a_cached_list_loses_the_titles_the_index_gained_since(world: World) -> None:
    await _trained(world)
    index = NumpySeenIndex()
    follow = FollowSourceInteractions(world.source, index)
    await follow.execute()
    recommend = RecommendForUser(
        world.state, world.source, world.cache, seen_index=index, tracker=world.container.list_tracker()
    )
    first = await recommend.execute(RecommendQuery(user_id=2, k=5))
    target = first.items.title_ids[0]
    world.source.add(2, target, created_at=T0 + timedelta(seconds=1))
    await follow.execute()

    again = await recommend.execute(RecommendQuery(user_id=2, k=5))

    assert again.cached and target not in again.items.title_ids and len(again.items) == 5


async def test_a_hot_event_enters_the_index_at_once(world: World) -> None:
    await _trained(world)
    index, events = NumpySeenIndex(), InMemoryHotEventStore()
    await FollowSourceInteractions(world.source, index).execute()
    record = RecordInteraction(
        PositiveRule(),
        events,
        HotSeen(events),
        world.state,
        world.source,
        world.cache,
        SteppingClock(),
        index,
        tracker=world.container.list_tracker(),
    )
    recommend = RecommendForUser(
        world.state,
        world.source,
        world.cache,
        HotSeen(events),
        seen_index=index,
        tracker=world.container.list_tracker(),
    )
    target = (await recommend.execute(RecommendQuery(user_id=3, k=5))).items.title_ids[0]
    await record.execute(InteractionCommand(3, target, "view"))
    world.source.available = False  # the miss below reads neither database
    events.available = False

    after = await recommend.execute(RecommendQuery(user_id=3, k=5))

    assert target in index.seen(3) and index.recent(3) == {target}
    assert not after.cached and target not in after.items.title_ids and len(after.items) == 5

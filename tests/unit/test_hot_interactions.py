"""Hot interactions over the fakes: validation, durability first, seen at once, fold-in, training feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from adapters.cache.in_process_cache import InProcessRecommendationCache
from adapters.memory.events import InMemoryEventMerger, InMemoryHotEventStore
from adapters.memory.source import InMemoryTrainingData
from application.hot_seen import HotSeen
from application.hot_training_source import SourceWithHotEvents
from application.ports import CacheKey
from application.recommend_for_user import RecommendForUser, RecommendQuery
from application.record_interaction import InteractionCommand, RecordInteraction
from application.train_model import TrainCommand
from domain.errors import InvalidArgumentError, RegistryUnavailableError
from domain.interaction import Interaction
from domain.model_version import TrainParams
from domain.recommendation import ListSource
from tests.unit.conftest import World


@dataclass
class Hot:
    world: World
    events: InMemoryHotEventStore
    seen: HotSeen
    record: RecordInteraction
    recommend: RecommendForUser

    async def event(
        self, user_id: int, title_id: int, int_type: str = "bookmark", score: float | None = None
    ) -> None:
        await self.record.execute(InteractionCommand(user_id, title_id, int_type, score))

    async def titles(self, user_id: int, k: int = 10) -> tuple[int, ...]:
        return (await self.recommend.execute(RecommendQuery(user_id, k))).items.title_ids

    @property
    def folded(self) -> list[tuple[int, int, float, dict[str, float] | None]]:
        model = self.world.state.model
        assert model is not None
        return model.scorer.folded  # type: ignore[attr-defined, no-any-return]


def with_hot(world: World) -> Hot:
    return Hot(world, world.events, world.hot_seen, world.record, world.recommend)


@pytest.fixture
def hot(world: World) -> Hot:
    return with_hot(world)


async def train(world: World) -> str:
    job = await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    assert job.model_id
    return job.model_id


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (InteractionCommand(1, 2, "like"), ("int_type", "bookmark, rating, view")),
        (InteractionCommand(1, 2, "rating"), ("finite raw_score",)),
        (InteractionCommand(1, 2, "rating", float("nan")), ("finite raw_score",)),
        (InteractionCommand(1, 2, "view", float("inf")), ("finite",)),
        (InteractionCommand(0, 2, "view"), ("user_id",)),
        (InteractionCommand(1, 2**63, "view"), ("title_id",)),
    ],
)
async def test_invalid_events_are_refused_and_never_stored(
    hot: Hot, command: InteractionCommand, words: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await hot.record.execute(command)
    for word in words:
        assert word in str(caught.value)
    assert hot.events.events == []


async def test_unknown_users_and_titles_are_accepted_and_stored(hot: Hot) -> None:
    await hot.event(10**12, 10**15, "rating", 4.5)
    [stored] = hot.events.events
    assert (stored.user_id, stored.title_id, stored.int_type, stored.raw_score) == (
        10**12,
        10**15,
        "rating",
        4.5,
    )
    assert stored.created_at.tzinfo is not None


async def test_a_bookmark_removes_the_title_and_moves_the_cached_list(hot: Hot) -> None:
    await train(hot.world)
    before = await hot.titles(2)
    assert (await hot.recommend.execute(RecommendQuery(2, 10))).cached  # the list is cached now
    target = before[5]
    await hot.event(2, target)
    after = await hot.recommend.execute(RecommendQuery(2, 10))
    assert after.source is ListSource.MODEL and after.cached is False  # the cached list was dropped
    assert target not in after.items.title_ids and len(after.items) == 10
    without_target = [t for t in before if t != target]
    assert list(after.items.title_ids[:9]) != without_target  # more than the removal changed
    assert hot.folded == [(2, target, 2.0, None)]  # a known user: no feature lookup


async def test_nothing_is_acknowledged_when_the_store_is_down(hot: Hot) -> None:
    await train(hot.world)
    target = (await hot.titles(2))[0]
    hot.events.available = False
    with pytest.raises(RegistryUnavailableError):
        await hot.event(2, target)
    hot.events.available = True
    assert target in await hot.titles(2)
    assert hot.folded == []


async def test_another_process_excludes_the_event_read_from_the_store(hot: Hot) -> None:
    await train(hot.world)
    target = (await hot.titles(3))[0]
    await hot.event(3, target)
    # Another replica: same store, its own cache and memory, no fold-in.
    other = RecommendForUser(
        hot.world.state,
        hot.world.source,
        InProcessRecommendationCache(60),
        HotSeen(hot.events),
        tracker=hot.world.container.list_tracker(),
    )
    assert target not in (await other.execute(RecommendQuery(3, 10))).items.title_ids


async def test_a_miss_while_the_store_is_unreadable_still_answers_without_this_process_s_titles(
    hot: Hot,
) -> None:
    await train(hot.world)
    mine = (await hot.titles(5))[0]
    await hot.event(5, mine)  # stored, and remembered by this process
    await hot.world.cache.invalidate_all()
    hot.events.available = False

    answer = await hot.recommend.execute(RecommendQuery(5, 10))  # a miss: no error, a full list

    assert answer.source is ListSource.MODEL and len(answer.items) == 10
    assert mine not in answer.items.title_ids  # this process's own event is still seen


async def test_popular_lists_exclude_hot_titles(hot: Hot) -> None:
    first = (await hot.titles(10**9, k=3))[0]
    await hot.event(10**9, first, "view")
    assert first not in await hot.titles(10**9, k=3)
    assert len(await hot.titles(10**9, k=3)) == 3


async def test_a_list_cached_by_a_racing_request_still_hides_the_title(hot: Hot) -> None:
    model_id = await train(hot.world)
    model = hot.world.state.model
    assert model is not None
    listed = model.scorer.top_for_user(4, 300, ())
    await hot.event(4, listed.title_ids[0])
    # A request that read "seen" before the commit caches its list after the invalidation.
    await hot.world.cache.put(CacheKey("user", model_id, 4), listed)
    answer = await hot.recommend.execute(RecommendQuery(4, 10))
    assert answer.cached and listed.title_ids[0] not in answer.items.title_ids


async def test_an_unknown_user_is_folded_in_from_their_features(hot: Hot) -> None:
    await train(hot.world)
    hot.world.source.user_feature_map[77] = {"known:age:25-34": 1.0}
    target = (await hot.titles(77))[0]
    await hot.event(77, target, "view")
    assert hot.folded == [(77, target, 0.5, {"known:age:25-34": 1.0})]
    after = await hot.recommend.execute(RecommendQuery(77, 10))
    assert after.source is ListSource.MODEL and target not in after.items.title_ids


async def test_a_low_rating_is_seen_but_pulls_nothing(hot: Hot) -> None:
    await train(hot.world)
    target = (await hot.titles(2))[0]
    await hot.event(2, target, "rating", 1.0)
    assert hot.folded == []
    assert target not in await hot.titles(2)


async def test_a_rating_pulls_in_proportion_to_its_score(hot: Hot) -> None:
    await train(hot.world)
    await hot.event(2, 25, "rating", 4.0)
    assert hot.folded == [(2, 25, pytest.approx(0.8), None)]  # weight 1.0 x 4 / 5


async def test_a_failed_fold_in_still_acknowledges_the_stored_event(hot: Hot) -> None:
    await train(hot.world)
    hot.world.source.available = False  # the new user's features cannot be read: fold from zero
    await hot.event(88, 7)
    assert len(hot.events.events) == 1
    assert hot.folded == [(88, 7, 2.0, {})]


# --- the next training ---------------------------------------------------------------------
SOURCE_NEWEST = datetime(2026, 1, 1, tzinfo=UTC)  # every fake source interaction has this stamp


def at(offset: timedelta, title_id: int = 5) -> Interaction:
    return Interaction(42, title_id, "bookmark", None, SOURCE_NEWEST + offset)


@pytest.mark.parametrize(
    ("in_source", "expected"),
    [
        (True, [timedelta(seconds=1), timedelta(hours=2)]),
        (False, [-timedelta(days=1), timedelta(milliseconds=500), timedelta(seconds=1), timedelta(hours=2)]),
    ],
)
async def test_hot_events_feed_the_next_training_without_double_counting(
    world: World, in_source: bool, expected: list[timedelta]
) -> None:
    events = InMemoryHotEventStore()
    for offset in (-timedelta(days=1), timedelta(milliseconds=500), timedelta(seconds=1), timedelta(hours=2)):
        await events.add(at(offset))
    await events.add(at(timedelta(hours=3), title_id=10**9))  # a title the source does not list yet
    training = SourceWithHotEvents(world.source, events, InMemoryEventMerger(), events_in_source=in_source)
    data = await training.load_training_data()
    assert isinstance(data, InMemoryTrainingData)
    added = [i.created_at - SOURCE_NEWEST for i in data.interactions if i.user_id == 42]
    assert added == expected
    assert len(data.interactions) == len(world.source.interactions) + len(expected)


async def test_training_reads_hot_events_through_the_decorated_source(world: World) -> None:
    events = InMemoryHotEventStore()
    await events.add(Interaction(42, 30, "bookmark", None, SOURCE_NEWEST + timedelta(minutes=5)))
    training = SourceWithHotEvents(world.source, events, InMemoryEventMerger(), events_in_source=True)
    assert (await training.load_training_data()).stats.n_interactions == len(world.source.interactions) + 1
    assert await training.seen_titles(1) == await world.source.seen_titles(1)

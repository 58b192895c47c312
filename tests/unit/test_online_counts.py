"""Recommendation ids and the online counts they feed, over the fakes (contract section 12)."""

from __future__ import annotations

import math

import pytest

from application.list_tracker import ListTracker, context_token
from application.recommend_for_user import RecommendQuery
from application.record_interaction import InteractionCommand
from application.relevant_titles import RelevantQuery
from application.train_model import TrainCommand
from domain.errors import RegistryUnavailableError
from domain.model_version import TrainParams
from domain.online import OnlineCounts, ServingContext, wilson_interval
from tests.unit.conftest import World


async def trained(world: World) -> str:
    job = await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    assert job.model_id
    return job.model_id


async def test_every_answer_has_its_own_short_opaque_id_cached_or_not(world: World) -> None:
    await trained(world)
    answers = [await world.recommend.execute(RecommendQuery(user_id=2, k=3)) for _ in range(3)]
    answers.append(await world.relevant.execute(RelevantQuery(title_id=3, k=3)))
    answers.append(await world.recommend.execute(RecommendQuery(user_id=999, k=3)))  # popular
    ids = [a.recommendation_id for a in answers]

    assert [a.cached for a in answers[:2]] == [False, True]
    assert len(set(ids)) == len(ids)
    assert all(0 < len(i) <= 64 and i.isascii() for i in ids)
    assert all(a.experiment_arm is None for a in answers)


async def test_two_processes_never_give_the_same_id(world: World) -> None:
    other = ListTracker(world.online, world.events, world.state, "0123456789")
    mine = {world.tracker.served("m") for _ in range(100)}
    theirs = {other.served("m") for _ in range(100)}
    assert len(mine) == len(theirs) == 100 and not mine & theirs


async def test_lists_are_counted_per_version_and_reach_the_registry_at_each_flush(world: World) -> None:
    first = await trained(world)
    for user in (1, 2, 3):
        await world.recommend.execute(RecommendQuery(user_id=user))
    assert world.online.rows == {}  # counted in memory until the flush
    assert (await world.experiment_queries.online(first)).lists == 3  # ...but answered at once

    await world.tracker.flush()
    second = await trained(world)
    await world.recommend.execute(RecommendQuery(user_id=1))
    await world.relevant.execute(RelevantQuery(title_id=2))
    await world.tracker.flush()

    stored = {context.model_id: lists for context, lists in world.online.rows.values()}
    assert stored == {first: 3, second: 2}
    assert (await world.experiment_queries.online(first)) == OnlineCounts(3, 0, 0)


async def test_a_failed_flush_keeps_the_counts_for_the_next_one(world: World) -> None:
    model_id = await trained(world)
    await world.recommend.execute(RecommendQuery(user_id=1))
    world.online.available = False
    with pytest.raises(RegistryUnavailableError):
        await world.tracker.flush()
    world.online.available = True
    await world.recommend.execute(RecommendQuery(user_id=2))
    await world.tracker.flush()
    assert [lists for _, lists in world.online.rows.values()] == [2]
    assert (await world.experiment_queries.online(model_id)).lists == 2


async def test_events_naming_a_list_make_it_clicked_once_and_count_every_event(world: World) -> None:
    model_id = await trained(world)
    shown = await world.recommend.execute(RecommendQuery(user_id=3, k=5))
    other = await world.recommend.execute(RecommendQuery(user_id=4, k=5))
    rid = shown.recommendation_id
    for title in shown.items.title_ids[:2]:
        await world.record.execute(InteractionCommand(3, title, "view", recommendation_id=rid))
    await world.record.execute(InteractionCommand(4, other.items.title_ids[0], "view"))  # names no list

    counts = await world.experiment_queries.online(model_id)

    assert counts == OnlineCounts(lists=2, clicked_lists=1, events=2)
    assert math.isclose(counts.ctr, 0.5)
    assert await world.events.unattributed() == 0


@pytest.mark.parametrize(
    "given",
    ["nonsense", "", "x" * 5000, "ffffffffffff-0123456789ab", "é" * 10, "a b", "0" * 12 + "-" + "0" * 11],
)
async def test_an_unknown_or_malformed_id_is_accepted_and_counted_unattributed(
    world: World, given: str
) -> None:
    model_id = await trained(world)
    title = (await world.recommend.execute(RecommendQuery(user_id=2, k=1))).items.title_ids[0]

    await world.record.execute(InteractionCommand(2, title, "view", recommendation_id=given))

    assert (2, title) in [(e.user_id, e.title_id) for e in world.events.events]  # the event is kept
    assert await world.events.unattributed() == 1
    assert (await world.experiment_queries.online(model_id)).events == 0
    stored = world.events.attributions[-1]
    assert stored is not None and len(stored.recommendation_id) <= 64


async def test_an_id_served_by_another_replica_is_attributed_by_its_context(world: World) -> None:
    model_id = await trained(world)
    replica = ListTracker(world.online, world.events, world.state, "abcdefabcd")
    rid = replica.served(model_id)  # the other replica answered, this one receives the event
    title = (await world.recommend.execute(RecommendQuery(user_id=2, k=1))).items.title_ids[0]
    await world.record.execute(InteractionCommand(2, title, "view", recommendation_id=rid))
    await replica.flush()

    assert await world.events.attributed() == {context_token(ServingContext(model_id)): (1, 1)}
    counts = await world.experiment_queries.online(model_id)
    assert (counts.clicked_lists, counts.events) == (1, 1)
    assert counts.lists == 2  # one each: the replica's flushed, this process's in memory


def test_wilson_interval_matches_the_textbook_figures() -> None:
    low, high = wilson_interval(10, 100)
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 50)
    assert low == 0.0 and 0.07 < high < 0.072
    low, high = wilson_interval(50, 50)
    assert high == 1.0 and 0.928 < low < 0.93

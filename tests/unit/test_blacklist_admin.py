"""The admin blacklist over the fakes: one rule owner, effective on the very next answer of every path."""

from __future__ import annotations

import asyncio

import pytest

from application.blacklist_admin import BlacklistAdmin
from application.recommend_for_user import RecommendQuery
from application.relevant_titles import RelevantQuery
from application.train_model import TrainCommand
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import InvalidArgumentError, NotFoundError
from domain.model_version import TrainParams
from domain.recommendation import ListSource
from tests.unit.conftest import World


@pytest.fixture
async def admin(world: World) -> BlacklistAdmin:
    world.source.blacklist[29] = "rights expired"
    await world.refresh.execute()
    return world.blacklist


async def train(world: World) -> None:
    job = await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    assert job.model_id


async def user_list(world: World, user_id: int, k: int = 5) -> tuple[tuple[int, ...], bool, ListSource]:
    recs = await world.recommend.execute(RecommendQuery(user_id, k))
    return recs.items.title_ids, recs.cached, recs.source


async def test_put_lists_and_remove(admin: BlacklistAdmin) -> None:
    entry = await admin.put(7, "takedown")
    assert entry == BlacklistEntry(7, "takedown", BlacklistOrigin.ADMIN)
    assert [(e.title_id, e.source.value) for e in admin.entries()] == [(7, "admin"), (29, "source")]
    await admin.put(7, "legal request")  # a second put replaces the reason
    assert admin.entries()[0].reason == "legal request"
    await admin.remove(7)
    assert [e.title_id for e in admin.entries()] == [29]


async def test_removing_what_the_admin_list_does_not_hold_is_not_found(admin: BlacklistAdmin) -> None:
    with pytest.raises(NotFoundError, match="not in the admin blacklist"):
        await admin.remove(8)
    with pytest.raises(NotFoundError, match="source"):
        await admin.remove(29)


async def test_bad_input_is_refused(admin: BlacklistAdmin) -> None:
    with pytest.raises(InvalidArgumentError, match="reason"):
        await admin.put(7, "x" * 256)
    with pytest.raises(InvalidArgumentError, match="title_id"):
        await admin.put(0)


async def test_a_cached_model_list_drops_the_title_at_once_and_keeps_k(
    world: World, admin: BlacklistAdmin
) -> None:
    await train(world)
    before, _, source = await user_list(world, 1)
    assert source is ListSource.MODEL
    await admin.put(before[0])
    await admin.put(before[2])
    after, cached, _ = await user_list(world, 1)
    assert cached and len(after) == 5  # the same cached list, filtered when read
    assert not {before[0], before[2]} & set(after)
    await admin.remove(before[0])
    again, cached, _ = await user_list(world, 1)
    assert cached and before[0] in again and before[2] not in again


async def test_popular_and_relevant_lists_follow_the_admin_list(world: World, admin: BlacklistAdmin) -> None:
    popular_before, _, source = await user_list(world, 10**6)
    assert source is ListSource.POPULAR
    await admin.put(popular_before[0])
    popular_after, _, _ = await user_list(world, 10**6)
    assert popular_before[0] not in popular_after and len(popular_after) == 5

    await train(world)
    relevant = world.relevant
    first = (await relevant.execute(RelevantQuery(3, 5))).items.title_ids
    await admin.put(first[1])
    second = await relevant.execute(RelevantQuery(3, 5))
    assert second.cached and first[1] not in second.items.title_ids and len(second.items) == 5
    await admin.remove(first[1])
    assert first[1] in (await relevant.execute(RelevantQuery(3, 5))).items.title_ids


async def test_a_blacklisted_title_still_gets_its_relevant_titles(
    world: World, admin: BlacklistAdmin
) -> None:
    await train(world)
    await admin.put(3)
    relevant = world.relevant
    assert len((await relevant.execute(RelevantQuery(3, 5))).items) == 5


async def test_load_reads_the_store_and_a_racing_reload_cannot_undo_a_change(world: World) -> None:
    store, admin = world.admin_list, world.blacklist
    await store.put(BlacklistEntry(4, None, BlacklistOrigin.ADMIN))
    await admin.load()
    assert 4 in world.state.ineligible

    gate = asyncio.Event()
    slow_list = store.list_entries

    async def stalled() -> tuple[BlacklistEntry, ...]:
        entries = await slow_list()  # read before the put below commits
        await gate.wait()
        return entries

    store.list_entries = stalled  # type: ignore[method-assign]
    reload = asyncio.create_task(admin.load())
    await asyncio.sleep(0)
    await admin.put(5)
    gate.set()
    await reload
    assert {4, 5} <= world.state.ineligible

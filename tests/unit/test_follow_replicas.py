"""The broadcast over the fakes: what a replica announces, and what it does with another's messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from adapters.memory.broadcast import RecordingBroadcast
from application.follow_replicas import FollowReplicas
from application.record_interaction import InteractionCommand
from application.train_model import TrainCommand
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.interaction import Interaction
from domain.model_version import TrainParams
from tests.unit.conftest import World, build_world

FAST = TrainParams(epochs=1)


def announcing() -> tuple[World, RecordingBroadcast]:
    broadcast = RecordingBroadcast()
    return build_world(broadcast=broadcast), broadcast


async def test_activations_blacklist_changes_and_hot_events_are_announced() -> None:
    world, broadcast = announcing()
    await world.refresh.execute()
    job = await world.train.execute(TrainCommand(FAST))
    assert ("activation", job.model_id) in broadcast.announced
    admin = world.container.blacklist_admin()
    await admin.put(3)
    await admin.remove(3)
    await world.container.record_interaction().execute(InteractionCommand(1, 4, "view"))

    kinds = [kind for kind, _ in broadcast.announced]
    assert kinds == ["activation", "blacklist", "blacklist", "hot_event"]
    event = broadcast.announced[-1][1]
    assert isinstance(event, Interaction) and (event.user_id, event.title_id) == (1, 4)


async def test_another_replicas_hot_event_is_seen_at_once_and_folded_in_once(world: World) -> None:
    await world.train.execute(TrainCommand(FAST))
    follow: FollowReplicas = world.container.follow_replicas()
    event = Interaction(2, 5, "bookmark", None, world.container.clock().now())

    follow.hot_event(event)
    assert 5 in world.hot_seen.recent(2)  # before any await: the next list already hides it
    await follow.drained()

    model = world.state.model
    assert model is not None
    assert model.scorer.folded == [(2, 5, 2.0, None)]  # type: ignore[attr-defined]
    assert world.events.events == []  # stored by the replica that received it, not again here
    await follow.close()


async def test_cues_reload_from_the_registry(world: World) -> None:
    first = await world.train.execute(TrainCommand(FAST))
    second = await world.train.execute(TrainCommand(FAST, activate=False))
    follow: FollowReplicas = world.container.follow_replicas()
    assert second.model_id
    world.registry.active = second.model_id  # activated by another replica
    await world.admin_list.put(BlacklistEntry(7, None, BlacklistOrigin.ADMIN))

    follow.model_activated(second.model_id)
    follow.model_activated(second.model_id)  # folded into the run in progress
    follow.blacklist_changed()
    await until(lambda: world.state.model_id == second.model_id and 7 in world.state.ineligible)

    assert world.state.model_id != first.model_id


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("not reached")

"""A/B experiments over the fakes: assignment, serving per arm, stop and promote, retention."""

from __future__ import annotations

import pytest

from application.recommend_for_user import RecommendQuery
from application.record_interaction import InteractionCommand
from application.relevant_titles import RelevantQuery
from application.retention import ApplyRetention
from application.serving_state import ServingState
from application.train_model import TrainCommand
from domain.errors import ConflictError, InvalidArgumentError, NotFoundError
from domain.experiment import Arm, Experiment, arm_index, assignment_point
from domain.model_version import TrainParams
from domain.recommendation import ListSource
from tests.unit.conftest import World, build_world

FAST = TrainParams(epochs=1)


async def two_versions(world: World) -> tuple[str, str]:
    first = (await world.train.execute(TrainCommand(FAST))).model_id
    second = (await world.train.execute(TrainCommand(FAST, activate=False))).model_id
    assert first and second and world.state.model_id == first
    return first, second


def arms(a: str, b: str, share: float = 0.5) -> list[Arm]:
    return [Arm("control", a, share), Arm("candidate", b, 1 - share)]


@pytest.mark.parametrize(
    ("name", "given", "says"),
    [
        ("", [Arm("a", "m", 0.5), Arm("b", "m", 0.5)], "name"),
        ("x", [Arm("a", "m", 1.0)], "2 to 4 arms"),
        ("x", [Arm(f"a{i}", "m", 0.2) for i in range(5)], "2 to 4 arms"),
        ("x", [Arm("a", "m", 0.5), Arm("a", "m", 0.5)], "unique"),
        ("x", [Arm("a", "m", 0.5), Arm("b", "m", 0.4)], "sum to 1"),
        ("x", [Arm("a", "m", 1.0), Arm("b", "m", 0.0)], "share must be > 0"),
        ("x", [Arm("a", "m", 1.5), Arm("b", "m", -0.5)], "share must be > 0"),
        ("x", [Arm("a", "m", float("nan")), Arm("b", "m", 0.5)], "share must be > 0"),
        ("x", [Arm("", "m", 0.5), Arm("b", "m", 0.5)], "arm's name"),
    ],
)
async def test_an_invalid_experiment_is_refused_with_what_is_wrong(
    world: World, name: str, given: list[Arm], says: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=says):
        await world.experiments.start(name, given)
    assert world.experiment_store.experiments == {} and world.state.experiment is None


async def test_unknown_unready_or_corrupt_versions_and_a_running_experiment_are_refused(world: World) -> None:
    first, second = await two_versions(world)
    with pytest.raises(NotFoundError):
        await world.experiments.start("x", arms(first, "nope"))
    world.artifacts.corrupt(second)
    with pytest.raises(ConflictError):
        await world.experiments.start("x", arms(first, second))
    assert world.experiment_store.experiments == {}

    third = (await world.train.execute(TrainCommand(FAST, activate=False))).model_id
    assert third
    await world.experiments.start("x", arms(first, third))
    with pytest.raises(ConflictError, match="running"):
        await world.experiments.start("y", arms(first, third))


def test_assignment_is_stable_and_splits_near_the_shares() -> None:
    experiment = Experiment.start("e-1", "x", [Arm("a", "m1", 0.3), Arm("b", "m2", 0.7)], _now())
    bounds = experiment.bounds()
    assigned = [arm_index(bounds, assignment_point("e-1", user)) for user in range(1, 2001)]
    again = [arm_index(bounds, assignment_point("e-1", user)) for user in range(1, 2001)]
    other = [arm_index(bounds, assignment_point("e-2", user)) for user in range(1, 2001)]

    assert assigned == again
    assert abs(assigned.count(0) / 2000 - 0.3) < 0.03
    assert assigned != other  # another experiment shuffles users anew


async def test_personal_lists_come_from_the_arm_relevant_ones_from_the_active_version(world: World) -> None:
    first, second = await two_versions(world)
    started = await world.experiments.start("x", arms(first, second))

    answers = {user: await world.recommend.execute(RecommendQuery(user_id=user)) for user in range(1, 41)}
    by_arm = {arm.name: arm.model_id for arm in started.arms}

    assert {a.experiment_arm for a in answers.values()} == {"control", "candidate"}
    for user, answer in answers.items():
        assert answer.experiment_arm is not None and answer.model_id == by_arm[answer.experiment_arm]
        running = world.state.experiment
        assert running is not None and running.arm_for(user).arm.name == answer.experiment_arm
    unknown = [a for u, a in answers.items() if u > 5]
    assert {a.source for a in unknown} == {ListSource.POPULAR}  # popular answers name the arm too
    relevant = await world.relevant.execute(RelevantQuery(title_id=3))
    assert relevant.model_id == first and relevant.experiment_arm is None
    again = await world.recommend.execute(RecommendQuery(user_id=1))
    assert again.cached and again.model_id == answers[1].model_id  # cached per version as usual


async def test_attributed_events_move_their_arm_s_counts(world: World) -> None:
    first, second = await two_versions(world)
    started = await world.experiments.start("x", arms(first, second))
    answers = [await world.recommend.execute(RecommendQuery(user_id=user, k=3)) for user in range(1, 6)]
    clicked = answers[0]
    await world.record.execute(
        InteractionCommand(1, clicked.items.title_ids[0], "view", recommendation_id=clicked.recommendation_id)
    )
    view = await world.experiment_queries.get(started.experiment_id)
    figures = {arm.arm.name: arm.counts for arm in view.arms}

    assert sum(c.lists for c in figures.values()) == 5
    assert figures[str(clicked.experiment_arm)].clicked_lists == 1
    assert sum(c.events for c in figures.values()) == 1
    assert (await world.experiment_queries.online(clicked.model_id or "")).events == 1


async def test_an_activation_leaves_the_arms_alone(world: World) -> None:
    first, second = await two_versions(world)
    started = await world.experiments.start("x", arms(first, second))
    third = (await world.train.execute(TrainCommand(FAST))).model_id  # activated
    assert world.state.model_id == third
    served = {(await world.recommend.execute(RecommendQuery(user_id=u))).model_id for u in range(1, 41)}
    assert served == {first, second}
    assert (await world.relevant.execute(RelevantQuery(title_id=3))).model_id == third
    assert world.experiment_store.experiments[started.experiment_id].running


async def test_stop_with_promotion_activates_the_winner_and_ends_the_arms(world: World) -> None:
    first, second = await two_versions(world)
    started = await world.experiments.start("x", arms(first, second))
    with pytest.raises(InvalidArgumentError, match="no arm"):
        await world.experiments.stop(started.experiment_id, "nobody")
    with pytest.raises(NotFoundError):
        await world.experiments.stop("e-unknown")

    stopped = await world.experiments.stop(started.experiment_id, "candidate")

    assert (stopped.status.value, stopped.winner) == ("stopped", "candidate") and stopped.stopped_at
    assert world.state.model_id == second and world.registry.active == second
    assert world.state.experiment is None
    answer = await world.recommend.execute(RecommendQuery(user_id=1))
    assert answer.model_id == second and answer.experiment_arm is None
    with pytest.raises(ConflictError, match="already stopped"):
        await world.experiments.stop(started.experiment_id)


async def test_a_winner_that_cannot_be_activated_leaves_the_experiment_running(world: World) -> None:
    first, second = await two_versions(world)
    started = await world.experiments.start("x", arms(first, second))
    world.artifacts.corrupt(second)
    with pytest.raises(ConflictError):
        await world.experiments.stop(started.experiment_id, "candidate")
    assert world.state.model_id == first and world.state.experiment is not None
    assert world.experiment_store.experiments[started.experiment_id].running


async def test_retention_keeps_the_versions_of_a_running_experiment(world: World) -> None:
    first, second = await two_versions(world)
    await world.experiments.start("x", arms(first, second))
    for _ in range(3):
        await world.train.execute(TrainCommand(FAST, activate=False))
    deleted = await ApplyRetention(world.registry, world.artifacts, 1, world.experiment_store).execute()
    assert second not in deleted and second in world.registry.versions and second in world.artifacts.bundles
    assert len(deleted) == 2


async def test_training_s_retention_keeps_them_too() -> None:
    from application.training_pipeline import TrainingPolicy

    small = build_world(TrainingPolicy(keep_models=1))
    await small.refresh.execute()
    first, second = await two_versions(small)
    await small.experiments.start("x", arms(first, second))
    for _ in range(3):
        await small.train.execute(TrainCommand(FAST, activate=False))
    assert {first, second} <= set(small.registry.versions)


async def test_another_replica_follows_the_running_experiment_and_its_end(world: World) -> None:
    first, second = await two_versions(world)
    started = await world.experiments.start("x", arms(first, second))
    replica = build_world()
    replica.registry.versions, replica.registry.active = world.registry.versions, world.registry.active
    replica.artifacts.bundles = world.artifacts.bundles
    replica.experiment_store.experiments = world.experiment_store.experiments
    await replica.refresh.execute()
    await replica.activate.restore()

    assert await replica.experiments.follow() is True
    for user in range(1, 30):
        here = await world.recommend.execute(RecommendQuery(user_id=user))
        there = await replica.recommend.execute(RecommendQuery(user_id=user))
        assert (here.model_id, here.experiment_arm) == (there.model_id, there.experiment_arm)
    await world.experiments.stop(started.experiment_id)
    assert await replica.experiments.follow() is True
    assert replica.state.experiment is None


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 12, 3, tzinfo=UTC)


def test_serving_state_answers_from_the_active_version_without_an_experiment() -> None:
    state = ServingState()
    assert state.model_for(1) == (None, None, None)

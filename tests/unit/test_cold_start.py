"""Cold start over the fakes: unknown users by their features, unknown titles by theirs."""

from __future__ import annotations

import pytest

from application.recommend_for_user import RecommendForUser, RecommendQuery
from application.relevant_titles import RelevantQuery
from application.train_model import TrainCommand
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.errors import NotFoundError
from domain.model_version import TrainParams
from domain.recommendation import ListSource
from tests.unit.conftest import World

NEW_USER = 500  # no interaction in the source, so unknown to every model


def cold_aware(world: World) -> RecommendForUser:
    return world.recommend  # the container's: hot events and source features wired in


async def train(world: World) -> None:
    job = await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    assert job.model_id


async def test_an_unknown_user_with_known_features_gets_a_cold_start_list(world: World) -> None:
    await train(world)
    world.source.user_feature_map[NEW_USER] = {"known:country:PL": 1.0, "other": 2.0}
    world.source.add(NEW_USER, 30, "view")  # seen in the source, after the training
    world.hot_seen.remember(NEW_USER, 29)
    recommend = world.recommend
    world.state.set_admin_blacklist((BlacklistEntry(28, None, BlacklistOrigin.ADMIN),))

    first = await recommend.execute(RecommendQuery(NEW_USER, 5))
    assert first.source is ListSource.COLD_START and first.model_id == world.state.model_id
    assert first.items.title_ids == (27, 26, 25, 24, 23)  # the fake's feature ranking, filtered
    popular = await recommend.execute(RecommendQuery(10**9, 5))
    assert popular.source is ListSource.POPULAR and popular.items.title_ids != first.items.title_ids

    world.state.set_admin_blacklist(())
    second = await recommend.execute(RecommendQuery(NEW_USER, 5))
    assert second.cached and second.source is ListSource.COLD_START
    assert second.items.title_ids == (28, 27, 26, 25, 24)


@pytest.mark.parametrize("features", [{}, {"age:unknown-to-the-model": 1.0}])
async def test_without_a_known_feature_the_list_is_popular(world: World, features: dict[str, float]) -> None:
    await train(world)
    world.source.user_feature_map[NEW_USER] = features
    recs = await cold_aware(world).execute(RecommendQuery(NEW_USER, 5))
    assert recs.source is ListSource.POPULAR and len(recs.items) == 5


async def test_without_a_model_features_do_not_matter(world: World) -> None:
    world.source.user_feature_map[NEW_USER] = {"known:country:PL": 1.0}
    recs = await cold_aware(world).execute(RecommendQuery(NEW_USER, 5))
    assert recs.source is ListSource.POPULAR and recs.model_id is None


async def test_a_title_unknown_to_the_model_is_related_by_its_features(world: World) -> None:
    await train(world)
    world.source.titles[31] = True  # arrives after the training
    world.source.title_feature_map[31] = {"known:genre:drama": 1.0}
    world.source.titles[32] = True  # arrives without features
    await world.refresh.execute()
    relevant = world.relevant

    by_features = await relevant.execute(RelevantQuery(31, 4))
    assert by_features.items.title_ids == (30, 29, 28, 27) and by_features.model_id == world.state.model_id
    assert (await relevant.execute(RelevantQuery(31, 4))).cached

    popular = await relevant.execute(RelevantQuery(32, 4))
    assert popular.items.title_ids == world.state.catalogue.popular.filtered({32}, 4).title_ids
    with pytest.raises(NotFoundError):
        await relevant.execute(RelevantQuery(33, 4))

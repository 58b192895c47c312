"""Titles newer than the model: ranked by their features in every list once the catalogue lists them."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from adapters.lightfm_engine import NumpyScorer
from application.add_new_titles import AddNewTitles
from application.recommend_for_user import RecommendQuery
from application.train_model import TrainCommand
from domain.model_version import TrainParams
from tests.unit.conftest import World


def scorer() -> NumpyScorer:
    """Titles 1-4 of taste A (feature "genre:a"), 5-8 of taste B; user 1 likes A, user 2 likes B."""
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    identity = np.zeros((8, 2))
    feature_rows = np.vstack([a, b]) * 0.5
    item_embeddings = np.vstack([identity, feature_rows]).astype(np.float32)
    item_features = np.hstack([np.eye(8), np.repeat(np.eye(2), 4, axis=0)]).astype(np.float32)
    return NumpyScorer(
        [1, 2],
        range(1, 9),
        sp.csr_matrix(np.eye(2, dtype=np.float32)),
        sp.csr_matrix(item_features),
        np.vstack([a, b]).astype(np.float32),
        np.zeros(2, dtype=np.float32),
        item_embeddings,
        np.zeros(10, dtype=np.float32),
        item_feature_names=["genre:a", "genre:b"],
    )


def test_a_title_added_by_features_is_ranked_like_its_peers() -> None:
    model = scorer()
    assert model.add_titles({20: {"genre:b": 1.0}, 21: {"genre:z": 1.0}, 3: {"genre:b": 1.0}}) == 1
    assert model.knows_title(20) and not model.knows_title(21)
    assert 20 in model.top_for_user(2, 5, ()).title_ids  # a B user gets it
    assert 20 not in model.top_for_user(1, 4, ()).title_ids  # an A user does not
    assert set(model.similar_titles(20, 4, ()).title_ids) == {5, 6, 7, 8}
    assert 20 in model.similar_titles(6, 4, ()).title_ids
    assert list(model.title_ids) == [1, 2, 3, 4, 5, 6, 7, 8, 20]
    assert model.add_titles({20: {"genre:a": 1.0}}) == 0  # known now: unchanged


def test_fold_in_reaches_added_titles() -> None:
    model = scorer()
    model.add_titles({20: {"genre:b": 1.0}})
    assert model.fold_in_user(1, 20, 2.0)


async def test_new_catalogue_titles_join_the_model_lists_once(world: World) -> None:
    job = await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    assert job.model_id
    for title in (31, 32):
        world.source.titles[title] = True
    world.source.title_feature_map[31] = {"known:genre:drama": 1.0}
    await world.refresh.execute()
    add = AddNewTitles(world.state, world.source)
    assert await add.execute() == 1
    listed = await world.recommend.execute(RecommendQuery(2, 30))
    assert 31 in listed.items.title_ids and 32 not in listed.items.title_ids
    world.source.available = False  # nothing is looked up twice for the same model
    assert await add.execute() == 0


async def test_new_titles_join_every_arm_of_a_running_experiment(world: World) -> None:
    from application.serving_state import RunningExperiment
    from domain.experiment import Arm

    first = await world.train.execute(TrainCommand(TrainParams(epochs=1)))
    second = await world.train.execute(TrainCommand(TrainParams(epochs=1), activate=False))
    assert first.model_id and second.model_id
    await world.experiments.start("x", [Arm("a", first.model_id, 0.5), Arm("b", second.model_id, 0.5)])
    running = world.state.experiment
    assert isinstance(running, RunningExperiment)
    scorers = {id(a.model.scorer) for a in running.arms} | {id(world.state.model.scorer)}  # type: ignore[union-attr]
    world.source.titles[31] = True
    world.source.title_feature_map[31] = {"known:genre:drama": 1.0}
    await world.refresh.execute()
    add = AddNewTitles(world.state, world.source)
    assert await add.execute() == len(scorers)  # each loaded model grew by the title
    for arm in running.arms:
        assert arm.model.scorer.knows_title(31), arm.arm.name
    assert await add.execute() == 0

"""The LightFM engine adapter on small synthetic sources (real LightFM fits, a few seconds)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from adapters.lightfm_engine import LightFMEngine, NumpyScorer
from adapters.lightfm_engine.bundle import csr_from_parts, model_from_bundle
from adapters.lightfm_engine.engine import fit_inputs
from adapters.lightfm_engine.evaluate import pair_matrix, split_holdout, without
from adapters.lightfm_engine.prepare import prepare
from adapters.lightfm_engine.rank_batches import ranking_metrics
from adapters.lightfm_engine.vectors import augment
from adapters.source.tables import SourceTables
from application.ports import ArtifactBundle, TrainingOutcome
from domain.errors import TrainingFailedError
from domain.interaction import PositiveRule
from domain.model_version import TrainParams

RULE = PositiveRule()
SEED = 42
PARAMS = TrainParams(no_components=16, epochs=8, learning_rate=0.05, loss="warp")


# --- synthetic sources -------------------------------------------------------------------
def tables(
    interactions: Sequence[tuple[int, int, str, float | None]],
    users: Sequence[int] = (),
    titles: Sequence[int] = (),
    title_features: Sequence[tuple[int, str, float]] = (),
    user_features: Sequence[tuple[int, str, float]] = (),
) -> SourceTables:
    frame = pd.DataFrame(interactions, columns=["user_id", "title_id", "int_type", "raw_score"])
    frame["raw_score"] = frame["raw_score"].astype("float64")
    frame["created_at"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(len(frame)), unit="min")
    return SourceTables(
        interactions=frame.astype({"user_id": "int64", "title_id": "int64"}),
        titles=pd.DataFrame({"id": np.asarray(titles, dtype=np.int64), "is_active": True}),
        title_features=pd.DataFrame(title_features, columns=["title_id", "feature", "weight"]),
        users=pd.DataFrame({"id": np.asarray(users, dtype=np.int64)}),
        user_features=pd.DataFrame(user_features, columns=["user_id", "feature", "weight"]),
    )


def latent_source(n_users: int = 400, n_titles: int = 300, n_genres: int = 6, seed: int = 7) -> SourceTables:
    """Users like one or two genres; titles have one genre and a popularity within it."""
    rng = np.random.default_rng(seed)
    title_ids = np.arange(1001, 1001 + n_titles)
    genre = rng.integers(0, n_genres, n_titles)
    appeal = rng.pareto(1.5, n_titles) + 1
    rows: list[tuple[int, int, str, float | None]] = []
    for user in range(1, n_users + 1):
        liked = rng.choice(n_genres, size=rng.integers(1, 3), replace=False)
        p = np.where(np.isin(genre, liked), appeal, 0.03 * appeal)
        picks = rng.choice(n_titles, size=rng.integers(8, 25), replace=False, p=p / p.sum())
        for t in picks:
            kind = rng.choice(["view", "bookmark", "rating"], p=[0.6, 0.2, 0.2])
            score = float(rng.integers(4, 6) if genre[t] in liked else rng.integers(1, 4))
            rows.append((user, int(title_ids[t]), str(kind), score if kind == "rating" else None))
    features = [(int(t), f"genre:{g}", 1.0) for t, g in zip(title_ids, genre, strict=True)]
    return tables(
        rows,
        users=list(range(1, n_users + 11)),  # ten users without interactions
        titles=[*title_ids.tolist(), 9999],  # one title without interactions
        title_features=features,
    )


@pytest.fixture(scope="module")
def source() -> SourceTables:
    return latent_source()


@pytest.fixture(scope="module")
def trained(source: SourceTables) -> TrainingOutcome:
    async def ignore(done: int, total: int) -> None:
        return None

    return asyncio.run(LightFMEngine(RULE, seed=SEED).train(source, PARAMS, ignore))


@pytest.fixture(scope="module")
def scorer(trained: TrainingOutcome) -> NumpyScorer:
    return NumpyScorer.from_bundle(trained.bundle)


# --- preparation -------------------------------------------------------------------------
def small_source() -> SourceTables:
    return tables(
        [
            (1, 10, "rating", 5.0),
            (1, 10, "view", None),
            (1, 20, "rating", 3.0),  # below the threshold: not a positive, a negative for logistic
            (1, 30, "click", None),  # unknown type
            (2, 20, "rating", None),  # rating without score
            (2, 30, "rating", 4.0),
            (2, 30, "bookmark", None),
            (2, 10, "bookmark", None),
            (2, 10, "bookmark", None),
        ],
        users=[1, 2, 3],
        titles=[10, 20],
        title_features=[(10, "genre:a", 1.0), (30, "genre:b", 2.0), (40, "genre:c", 1.0), (10, "0", 3.0)],
        user_features=[(3, "country:fr", 1.0), (1, "country:fr", 1.0)],
    )


def positives(prepared_source: SourceTables, rule: PositiveRule = RULE) -> dict[tuple[int, int], float]:
    p = prepare(prepared_source, rule)
    users, titles = p.users.ids[p.pos_rows], p.titles.ids[p.pos_cols]
    return {(int(u), int(t)): float(w) for u, t, w in zip(users, titles, p.pos_weights, strict=True)}


def test_positives_follow_the_rule() -> None:
    got = positives(small_source())
    # max raw_score over rating rows is 5: a 5 counts 1.0, a 4 counts 0.8
    assert got == pytest.approx({(1, 10): 1.0 + 0.5, (2, 30): 0.8 + 2.0, (2, 10): 4.0})


def test_ids_features_and_negatives() -> None:
    p = prepare(small_source(), RULE)
    assert p.users.ids.tolist() == [1, 2, 3]
    assert p.titles.ids.tolist() == [10, 20, 30]  # 30 only in interactions, 40 only in features
    assert p.titles.names == ("0", "genre:a", "genre:b")
    dense = p.titles.matrix.toarray()
    assert dense.shape == (3, 3 + 3)
    np.testing.assert_array_equal(dense[:, :3], np.eye(3))  # a feature named "0" is not identity column 0
    assert dense[0, 3:].tolist() == [3.0, 1.0, 0.0]
    assert dense[2, 3:].tolist() == [0.0, 0.0, 2.0]
    assert p.users.matrix.shape == (3, 4)
    assert list(zip(p.users.ids[p.neg_rows], p.titles.ids[p.neg_cols], strict=True)) == [(1, 20)]
    seen = {(int(p.users.ids[a]), int(p.titles.ids[b])) for a, b in zip(*p.seen.nonzero(), strict=True)}
    assert seen == {(1, 10), (1, 20), (1, 30), (2, 10), (2, 20), (2, 30)}  # any type or score


def test_fit_inputs_per_loss() -> None:
    p = prepare(small_source(), RULE)
    logistic = fit_inputs(p, "logistic")
    assert sorted(logistic.interactions.data.tolist()) == [-1.0, 1.0, 1.0, 1.0]
    assert logistic.sample_weight is not None
    np.testing.assert_array_equal(logistic.sample_weight.row, logistic.interactions.row)
    assert fit_inputs(p, "warp-kos").sample_weight is None
    warp = fit_inputs(p, "warp")
    assert warp.sample_weight is not None
    assert sorted(warp.sample_weight.data.tolist()) == pytest.approx([1.5, 2.8, 4.0])
    assert warp.interactions.data.tolist() == [1.0, 1.0, 1.0]


def test_normalize_features_makes_rows_sum_to_one() -> None:
    plain = prepare(small_source(), RULE).titles.matrix
    normal = prepare(small_source(), RULE, normalize_features=True).titles.matrix
    assert plain.sum(axis=1).A1.tolist() == [5.0, 1.0, 3.0]
    np.testing.assert_allclose(normal.sum(axis=1).A1, 1.0, rtol=1e-6)


def test_holdout_keeps_one_positive_per_user() -> None:
    rows = np.repeat(np.arange(5), [1, 2, 5, 10, 12])
    held = split_holdout(rows, 5, 0.2, np.random.default_rng(0))
    assert np.bincount(rows[held], minlength=5).tolist() == [0, 1, 1, 2, 2]


# --- training ------------------------------------------------------------------------------
async def test_on_epoch_counts_both_fits_and_can_stop_training() -> None:
    calls: list[tuple[int, int]] = []

    async def record(done: int, total: int) -> None:
        calls.append((done, total))

    params = TrainParams(no_components=4, epochs=3)
    engine = LightFMEngine(RULE)
    outcome = await engine.train(latent_source(60, 40), params, record)
    assert calls == [(i, 6) for i in range(1, 7)]
    assert outcome.stats.n_users == 70
    assert outcome.train_seconds > 0

    class Stop(Exception):
        pass

    calls.clear()

    async def stop_at_two(done: int, total: int) -> None:
        calls.append((done, total))
        if done == 2:
            raise Stop

    with pytest.raises(Stop):
        await engine.train(latent_source(60, 40), params, stop_at_two)
    assert calls == [(1, 6), (2, 6)]


@pytest.mark.parametrize("loss", ["bpr", "logistic", "warp-kos"])
async def test_other_losses_train(loss: str) -> None:
    async def ignore(done: int, total: int) -> None:
        return None

    outcome = await LightFMEngine(RULE).train(
        latent_source(60, 40), TrainParams(no_components=4, epochs=1, loss=loss), ignore
    )
    assert outcome.bundle.meta["loss"] == loss
    assert 0.0 <= outcome.metrics["auc"] <= 1.0


async def test_no_positives_fail_clearly() -> None:
    async def ignore(done: int, total: int) -> None:
        return None

    source = tables([(1, 10, "rating", 1.0), (1, 20, "click", None)], users=[1], titles=[10, 20])
    with pytest.raises(TrainingFailedError, match="no positive"):
        await LightFMEngine(RULE).train(source, TrainParams(epochs=1), ignore)


async def test_non_finite_parameters_fail_the_training() -> None:
    async def ignore(done: int, total: int) -> None:
        return None

    source = latent_source(60, 40)
    huge = source.title_features.assign(weight=1e30)
    diverging = SourceTables(source.interactions, source.titles, huge, source.users, source.user_features)
    with pytest.raises(TrainingFailedError, match="non-finite"):
        await LightFMEngine(RULE).train(diverging, TrainParams(no_components=4, epochs=2), ignore)


def test_outcome_stats_and_metrics(trained: TrainingOutcome, source: SourceTables) -> None:
    assert trained.stats.n_users == 410
    assert trained.stats.n_items == 301
    assert trained.stats.n_interactions == prepare(source, RULE).n_positives
    assert trained.cutoff == source.cutoff
    assert set(trained.metrics) >= {"precision_at_10", "recall_at_10", "auc", "n_eval_users"}
    assert trained.metrics["n_eval_users"] == 400
    assert 0.6 < trained.metrics["auc"] <= 1.0


def test_model_beats_popularity_on_the_holdout(trained: TrainingOutcome, source: SourceTables) -> None:
    p = prepare(source, RULE)
    held = split_holdout(p.pos_rows, p.shape[0], 0.2, np.random.default_rng(SEED))
    heldout = pair_matrix(p.pos_rows[held], p.pos_cols[held], p.shape)
    popularity = np.bincount(p.pos_cols[~held], minlength=p.shape[1]).astype(np.float32)
    users = augment(np.zeros((p.shape[0], 1), np.float32), np.zeros(p.shape[0], np.float32), user_side=True)
    items = augment(np.zeros((p.shape[1], 1), np.float32), popularity, user_side=False)
    exclude = without(p.seen, heldout)
    baseline = ranking_metrics(users, items, exclude, heldout, np.arange(p.shape[0]))
    assert baseline["n_eval_users"] == trained.metrics["n_eval_users"]
    assert trained.metrics["precision_at_10"] > 1.2 * baseline["precision_at_10"]
    assert trained.metrics["recall_at_10"] > baseline["recall_at_10"]


# --- serving -------------------------------------------------------------------------------
def test_scorer_ranks_like_lightfm_predict(trained: TrainingOutcome, scorer: NumpyScorer) -> None:
    model = model_from_bundle(trained.bundle)
    arrays = trained.bundle.arrays
    user_features = csr_from_parts(arrays, "user_features")
    item_features = csr_from_parts(arrays, "item_features")
    n_items = len(arrays["title_ids"])
    for row in (0, 5, 77, 250, 405):
        expected = model.predict(
            np.full(n_items, row, dtype=np.int32),
            np.arange(n_items, dtype=np.int32),
            user_features=user_features,
            item_features=item_features,
        )
        top = np.argsort(-expected, kind="stable")[:10]
        got = scorer.top_for_user(int(arrays["user_ids"][row]), 10, ())
        assert list(got.title_ids) == arrays["title_ids"][top].tolist()
        np.testing.assert_allclose(got.scores, expected[top], rtol=1e-4, atol=1e-5)


def test_exclusions_and_list_length(scorer: NumpyScorer) -> None:
    first = scorer.top_for_user(3, 20, ())
    assert len(first) == 20
    assert list(first.scores) == sorted(first.scores, reverse=True)
    banned = {*first.title_ids[:5], 10**12, 2**63 - 1}
    second = scorer.top_for_user(3, 20, banned)
    assert len(second) == 20
    assert not banned & set(second.title_ids)
    assert second.title_ids[:15] == first.title_ids[5:]
    all_but_three = set(scorer.title_ids.tolist()[3:])
    assert len(scorer.top_for_user(3, 10, all_but_three)) == 3
    assert len(scorer.top_for_user(3, 10, set(scorer.title_ids.tolist()))) == 0
    assert scorer.knows_user(3) and not scorer.knows_user(10**9)
    assert scorer.knows_title(9999) and not scorer.knows_title(1)
    with pytest.raises(KeyError):
        scorer.top_for_user(10**9, 10, ())


def test_similar_titles_by_cosine_without_itself(trained: TrainingOutcome, scorer: NumpyScorer) -> None:
    arrays = trained.bundle.arrays
    item_repr = csr_from_parts(arrays, "item_features") @ arrays["item_embeddings"]
    unit = item_repr / np.linalg.norm(item_repr, axis=1, keepdims=True)
    title = int(arrays["title_ids"][10])
    similar = scorer.similar_titles(title, 15, {int(arrays["title_ids"][11])})
    assert len(similar) == 15
    assert title not in similar.title_ids
    assert int(arrays["title_ids"][11]) not in similar.title_ids
    assert list(similar.scores) == sorted(similar.scores, reverse=True)
    cosine = unit @ unit[10]
    rows = np.searchsorted(arrays["title_ids"], similar.title_ids)
    np.testing.assert_allclose(similar.scores, cosine[rows], atol=1e-5)
    assert max(similar.scores) <= 1.0 + 1e-6


def test_cold_start_by_features(scorer: NumpyScorer) -> None:
    assert len(scorer.similar_to_features({"genre:1": 1.0}, 5, ())) == 5
    assert len(scorer.similar_to_features({"unknown": 1.0}, 5, ())) == 0
    assert len(scorer.top_for_features({"unknown": 1.0}, 5, ())) == 0  # no user features in this source


async def test_bundle_survives_npz_and_json(
    trained: TrainingOutcome, scorer: NumpyScorer, tmp_path: Path
) -> None:
    arrays = trained.bundle.arrays
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays.values())
    assert arrays["user_ids"].dtype == np.int64 and arrays["title_ids"].dtype == np.int64
    np.savez(tmp_path / "model.npz", **arrays)
    (tmp_path / "model.json").write_text(json.dumps(trained.bundle.meta))
    with np.load(tmp_path / "model.npz", allow_pickle=False) as npz:
        loaded = {name: npz[name] for name in npz.files}
    meta = json.loads((tmp_path / "model.json").read_text())
    bundle = ArtifactBundle(loaded, meta)
    again = await LightFMEngine(RULE).build_scorer(bundle)
    for user in (1, 50, 399, 405):
        assert again.top_for_user(user, 10, {1001}) == scorer.top_for_user(user, 10, {1001})
    assert again.similar_titles(1005, 10, ()) == scorer.similar_titles(1005, 10, ())
    model = model_from_bundle(bundle)  # can continue training from the stored optimiser state
    original = model_from_bundle(trained.bundle)
    np.testing.assert_array_equal(model.item_bias_gradients, original.item_bias_gradients)
    n_users, n_items = len(loaded["user_ids"]), len(loaded["title_ids"])
    more = sp.coo_matrix(
        (np.ones(n_users, np.float32), (np.arange(n_users), np.arange(n_users) % n_items)),
        shape=(n_users, n_items),
    )
    model.fit_partial(
        more,
        user_features=csr_from_parts(loaded, "user_features"),
        item_features=csr_from_parts(loaded, "item_features"),
        epochs=1,
    )
    assert math.isfinite(float(model.item_embeddings.sum()))

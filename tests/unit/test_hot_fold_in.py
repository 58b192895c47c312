"""Fold-in in the numpy scorer: a hot event moves one user's representation toward the title."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from adapters.lightfm_engine import NumpyScorer

A = list(range(1, 11))  # titles of taste A
B = list(range(11, 21))  # titles of taste B


def scorer() -> NumpyScorer:
    """Two users who like A; titles in two tight clusters; one named user feature that means A."""
    rng = np.random.default_rng(3)
    items = np.vstack([np.tile([1.0, 0.0], (10, 1)), np.tile([0.0, 1.0], (10, 1))])
    items = (items + rng.normal(0, 0.05, items.shape)).astype(np.float32)
    users = np.array([[1.0, 0.0], [0.9, 0.1], [1.0, 0.0]], dtype=np.float32)  # 2 users + "taste:a"
    return NumpyScorer(
        [1, 2],
        A + B,
        sp.csr_matrix(np.eye(2, 3, dtype=np.float32)),
        sp.csr_matrix(np.eye(20, dtype=np.float32)),
        users,
        np.zeros(3, dtype=np.float32),
        items,
        np.zeros(20, dtype=np.float32),
        user_feature_names=["taste:a"],
    )


def count_b(titles: tuple[int, ...]) -> int:
    return sum(t in B for t in titles)


def test_a_bookmark_pulls_titles_like_it_up() -> None:
    model = scorer()
    before = model.top_for_user(1, 10, [15])
    assert count_b(before.title_ids) == 0
    assert model.fold_in_user(1, 15, 2.0)
    after = model.top_for_user(1, 10, [15])
    assert count_b(after.title_ids) >= 5
    assert model.top_for_user(2, 10, [15]).title_ids == scorer().top_for_user(2, 10, [15]).title_ids


def test_the_move_grows_with_the_weight_and_is_bounded() -> None:
    light, heavy = scorer(), scorer()
    light.fold_in_user(1, 15, 0.25)
    heavy.fold_in_user(1, 15, 2.0)
    gain = [m.top_for_user(1, 20, []).scores for m in (light, heavy)]
    b_light = dict(zip(light.top_for_user(1, 20, []).title_ids, gain[0], strict=True))[15]
    b_heavy = dict(zip(heavy.top_for_user(1, 20, []).title_ids, gain[1], strict=True))[15]
    assert b_light < b_heavy < 10  # stronger for a heavier event, but no blow-up


def test_an_unknown_user_starts_from_features_and_becomes_known() -> None:
    model = scorer()
    assert not model.knows_user(99)
    assert model.fold_in_user(99, 3, 0.5, {"taste:a": 1.0})
    assert model.knows_user(99)
    assert count_b(model.top_for_user(99, 5, [3]).title_ids) == 0  # still an A user


def test_an_unknown_user_without_features_starts_from_zero() -> None:
    model = scorer()
    assert model.fold_in_user(98, 15, 2.0, {"unknown:feature": 1.0})
    assert count_b(model.top_for_user(98, 5, [15]).title_ids) == 5


def test_an_unknown_title_or_a_zero_weight_changes_nothing() -> None:
    model = scorer()
    before = model.top_for_user(1, 20, [])
    assert not model.fold_in_user(1, 999, 2.0)
    assert not model.fold_in_user(1, 15, 0.0)
    assert not model.fold_in_user(97, 999, 2.0) and not model.knows_user(97)
    assert model.top_for_user(1, 20, []) == before


def test_the_fold_in_is_gradient_descent_on_the_pairwise_objective() -> None:
    """The tanh form of the step against the objective written plainly (log-sigmoid of the margins,
    an L2 pull back to the start), on random vectors: the same vector up to float32 rounding."""
    from adapters.lightfm_engine.fold_in import NEGATIVES, PULL, STEPS, fold_in

    rng = np.random.default_rng(3)
    items = (0.3 * rng.standard_normal((200, 18))).astype(np.float32)
    user = (0.3 * rng.standard_normal(18)).astype(np.float32)
    got = fold_in(user, items, 7, 2.0, 0.8, np.random.default_rng(11))

    sampled = np.random.default_rng(11).integers(0, 200, NEGATIVES)
    sampled = sampled[sampled != 7]
    d = 16
    gaps = (items[7, :d] - items[sampled, :d]).astype(np.float64)
    bias = (items[7, d + 1] - items[sampled, d + 1]).astype(np.float64)
    start = user[:d].astype(np.float64)
    latent = start.copy()
    for _ in range(STEPS):
        sigma_minus = 1.0 / (1.0 + np.exp(gaps @ latent + bias))
        latent = latent + 0.8 * 2.0 / len(sampled) * (sigma_minus @ gaps)
        latent = latent - PULL * (latent - start)
    assert np.abs(got[:d] - latent).max() < 1e-5
    assert np.abs(got[:d] - start).max() > 1e-2  # it did move
    assert np.array_equal(got[d:], user[d:])  # bias and the constant column are left alone

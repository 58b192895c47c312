"""The quality benchmark's metrics against figures computed by hand (k = 3 unless said)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bench.quality_metrics import coverage, evaluate, ordered_lists, warm_mask
from bench.quality_protocols import holdout


def _bool(rows: list[list[int]], n_titles: int) -> sp.csr_matrix:
    dense = np.zeros((len(rows), n_titles), dtype=bool)
    for r, cols in enumerate(rows):
        dense[r, cols] = True
    return sp.csr_matrix(dense)


SCORES = np.array([[6.0, 5.0, 4.0, 3.0, 2.0, 1.0]])  # title 0 best, then 1, 2, ...
NOTHING = _bool([[]], 6)


def test_one_list_hits_at_ranks_one_and_three_of_four_held_out() -> None:
    # top 3 = titles 0, 1, 2; held out 0, 2, 4, 5: hits at ranks 1 and 3.
    figures = evaluate(SCORES, NOTHING, _bool([[0, 2, 4, 5]], 6), k=3).mean()
    assert figures["precision"] == pytest.approx(2 / 3)
    assert figures["recall"] == pytest.approx(2 / 4)
    ideal = 1 / math.log(2) + 1 / math.log(3) + 1 / math.log(4)
    assert figures["ndcg"] == pytest.approx((1 / math.log(2) + 1 / math.log(4)) / ideal)
    # Precisions at the hits: 1/1 and 2/3, summing to 5/3. `map` divides by the 4 held out (5/12),
    # `map_at_k` by min(4, k) = 3 (5/9); dividing by the 2 hits would give 5/6.
    assert figures["map"] == pytest.approx((1 + 2 / 3) / 4)
    assert figures["map_at_k"] == pytest.approx((1 + 2 / 3) / 3)
    # held out {0, 2, 4, 5} against {1, 3}: 0 beats both, 2 beats 3, 4 and 5 beat none: 3 of 8 pairs.
    assert figures["auc"] == pytest.approx(3 / 8)
    assert figures["users"] == 1


def test_map_at_k_divides_by_the_held_out_count_when_fewer_than_k() -> None:
    # held out 1 and 4 (2 < k = 3): one hit at rank 2, precision there 1/2.
    figures = evaluate(SCORES, NOTHING, _bool([[1, 4]], 6), k=3).mean()
    assert figures["map"] == pytest.approx(0.5 / 2)
    assert figures["map_at_k"] == pytest.approx(0.5 / 2)
    assert figures["ndcg"] == pytest.approx((1 / math.log(3)) / (1 / math.log(2) + 1 / math.log(3)))


def test_excluded_titles_leave_the_list() -> None:
    # title 1 excluded: top 3 = 0, 2, 3; held out 0, 2, 4, 5: hits at ranks 1 and 2.
    figures = evaluate(SCORES, _bool([[1]], 6), _bool([[0, 2, 4, 5]], 6), k=3).mean()
    assert figures["precision"] == pytest.approx(2 / 3)
    assert figures["map"] == pytest.approx((1 + 1) / 4)
    assert figures["map_at_k"] == pytest.approx((1 + 1) / 3)


def test_a_served_list_shorter_than_k_scores_only_its_own_titles() -> None:
    # served [3, 0]: title 1 (held out) fills the third place at -inf and is no hit.
    served = ordered_lists([[3, 0]], np.array([0]), (1, 6))
    figures = evaluate(served, NOTHING, _bool([[0, 1]], 6), k=3).mean()
    assert figures["precision"] == pytest.approx(1 / 3)
    assert figures["recall"] == pytest.approx(1 / 2)
    assert figures["map"] == pytest.approx((1 / 2) / 2)


def test_users_without_held_out_titles_are_not_evaluated() -> None:
    scores = np.vstack([SCORES, SCORES])
    per_user = evaluate(scores, _bool([[], []], 6), _bool([[], [0]], 6), k=3)
    assert per_user.users.tolist() == [1]
    assert per_user.mean()["precision"] == pytest.approx(1 / 3)


def test_coverage_counts_titles_in_some_top_k_of_the_users_served() -> None:
    scores = np.array(
        [
            [0.0, 0.0, 0.0, 5.0, 4.0],  # top 2: 3, 4
            [0.0, 0.0, 3.0, 5.0, 4.0],  # 3 excluded: 4, 2
            [-np.inf] * 5,  # not served: would be 0, 1 if -inf counted
        ]
    )
    assert coverage(scores, _bool([[], [3], []], 5), k=2) == pytest.approx(3 / 5)


def test_segments_split_at_more_than_five_training_positives() -> None:
    scores = np.vstack([SCORES] * 3)
    test = _bool([[0], [5], [0, 1]], 6)
    per_user = evaluate(scores, _bool([[], [], []], 6), test, k=3)
    train_positive = _bool([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5], []], 6)
    warm = warm_mask(per_user, train_positive)
    assert warm.tolist() == [True, False, False]
    assert per_user.mean(warm) == pytest.approx(per_user.mean(np.array([True, False, False])))
    assert per_user.mean(warm)["precision"] == pytest.approx(1 / 3)
    cold = per_user.mean(~warm)
    assert cold["users"] == 2
    assert cold["precision"] == pytest.approx((0 + 2 / 3) / 2)  # title 5 is not in the top 3
    assert math.isnan(per_user.mean(np.zeros(3, dtype=bool))["precision"])


def _ratings(per_user: int, users: int) -> pd.DataFrame:
    n = per_user * users
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "user_id": np.repeat(np.arange(1, users + 1), per_user),
            "title_id": np.tile(np.arange(1, per_user + 1), users),
            "raw_score": np.tile([1.0, 2.0, 3.0, 4.0, 5.0], n // 5),
            "created_at": pd.date_range("2020-01-01", periods=n, freq="h"),
        }
    )


def test_public_protocol_holds_out_a_quarter_of_every_users_ratings_low_ones_too() -> None:
    ratings = _ratings(per_user=20, users=4)
    held = ratings[ratings["id"].isin(holdout(ratings, "public", seed=1).interaction_ids)]
    assert held.groupby("user_id").size().tolist() == [5, 5, 5, 5]
    assert held["raw_score"].min() < 4
    assert not holdout(ratings, "public", seed=1).removed_users.size


def test_cold_protocol_removes_a_tenth_of_users_with_all_their_ratings() -> None:
    ratings = _ratings(per_user=5, users=20)
    found = holdout(ratings, "cold", seed=3)
    assert len(found.removed_users) == 2
    held = ratings[ratings["id"].isin(found.interaction_ids)]
    assert sorted(held["user_id"].unique().tolist()) == found.removed_users.tolist()
    assert len(held) == 10

"""The holdout's segment and coverage figures (`evaluate.holdout_metrics`) on cases small enough to
compute by hand, with the score matrix chosen directly (user vectors = identity, title vectors = the
scores' transpose)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from adapters.lightfm_engine.evaluate import COLD_MAX_POSITIVES, holdout_metrics
from adapters.lightfm_engine.prepare import FeatureSpace, Prepared
from adapters.lightfm_engine.rank_batches import rank

pytestmark = pytest.mark.integration

N_TITLES = 24


def space(n: int) -> FeatureSpace:
    identity = sp.identity(n, dtype=np.float32, format="csr")
    return FeatureSpace(np.arange(1, n + 1, dtype=np.int64), (), identity)


def prepared_of(positives: list[list[int]], n_titles: int = N_TITLES) -> Prepared:
    rows = np.array([u for u, titles in enumerate(positives) for _ in titles], dtype=np.int32)
    cols = np.array([t for titles in positives for t in titles], dtype=np.int32)
    seen = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(positives), n_titles))
    empty = np.zeros(0, dtype=np.int32)
    return Prepared(
        users=space(len(positives)),
        titles=space(n_titles),
        pos_rows=rows,
        pos_cols=cols,
        pos_weights=np.ones(len(rows), dtype=np.float32),
        pos_first_us=np.zeros(len(rows), dtype=np.int64),
        neg_rows=empty,
        neg_cols=empty,
        neg_weights=np.zeros(0, dtype=np.float32),
        seen=seen,
        seen_first_us=np.zeros(seen.nnz, dtype=np.int64),
    )


def metrics_for(scores: np.ndarray, positives: list[list[int]], held_pairs: set[tuple[int, int]]) -> dict:
    prepared = prepared_of(positives)
    pairs = zip(prepared.pos_rows.tolist(), prepared.pos_cols.tolist(), strict=True)
    held = np.array([pair in held_pairs for pair in pairs])
    users = np.eye(len(positives), dtype=np.float32)
    everyone = np.arange(len(positives), dtype=np.int64)
    return holdout_metrics(users, scores.T.astype(np.float32).copy(), prepared, held, everyone)


# u0: 7 training titles (0..6) + held 22, 23: warm; u1: 2 training titles (0, 1) + held 2, 20: cold;
# u2: title 0 only, nothing held: not evaluated, but its top 10 counts for coverage.
POSITIVES = [[0, 1, 2, 3, 4, 5, 6, 22, 23], [0, 1, 2, 20], [0]]
HELD = {(0, 22), (0, 23), (1, 2), (1, 20)}
ASCENDING = np.arange(N_TITLES, dtype=np.float64)


def test_warm_and_cold_users_and_coverage_by_hand() -> None:
    assert COLD_MAX_POSITIVES == 5  # u0 (7 training positives) is warm, u1 (2) cold
    scores = np.stack([ASCENDING, -ASCENDING, -ASCENDING])
    m = metrics_for(scores, POSITIVES, HELD)
    # u0 ranks 7..23 highest first: top 10 = 14..23, both held titles found -> 0.2, recall 1
    # u1 ranks 2..23 lowest first: top 10 = 2..11, finds 2 not 20 -> 0.1, recall 0.5
    assert m["warm_precision_at_10"] == pytest.approx(0.2) and m["warm_recall_at_10"] == pytest.approx(1.0)
    assert m["cold_precision_at_10"] == pytest.approx(0.1) and m["cold_recall_at_10"] == pytest.approx(0.5)
    assert (m["warm_users"], m["cold_users"]) == (1.0, 1.0)
    assert m["precision_at_10"] == pytest.approx(0.15) and m["recall_at_10"] == pytest.approx(0.75)
    # top 10s: u0 14..23, u1 2..11, u2 1..10 -> 21 titles; title 0 is excluded for everyone: 23 eligible
    assert m["coverage_at_10"] == pytest.approx(21 / 23)
    # the popular list (training counts: title 0: 3, 1: 2, 2..6: 1, the rest 0; ties at the 10th
    # score count as found): u0's candidates all tie at 0 -> 2 of 2; u1 finds 2 (count 1) and 20 (0)
    assert m["popular_warm_precision_at_10"] == pytest.approx(0.2)
    assert m["popular_cold_precision_at_10"] == pytest.approx(0.2)
    assert m["popular_cold_recall_at_10"] == pytest.approx(1.0)
    assert m["popular_precision_at_10"] == pytest.approx(0.2)
    assert 16 / 23 <= m["popular_coverage_at_10"] <= 1.0  # 1..6 and ten of 7..23 at least
    assert "popular_warm_users" not in m  # the segments are the same users for both


def test_an_empty_segment_scores_zero_with_no_users() -> None:
    scores = np.stack([ASCENDING, ASCENDING, ASCENDING])
    m = metrics_for(scores, POSITIVES, {(0, 22), (0, 23)})  # only the warm user has held-out titles
    assert (m["warm_users"], m["cold_users"]) == (1.0, 0.0)
    assert m["cold_precision_at_10"] == 0.0 and m["cold_recall_at_10"] == 0.0
    assert m["warm_precision_at_10"] == m["precision_at_10"] == pytest.approx(0.2)


def test_coverage_counts_each_top_10_once_and_never_an_excluded_title() -> None:
    # one shared ranking 11 > 10 > ... > 0: user a excludes nothing -> 2..11; user b excludes 8..11
    # -> 0..7 and nothing more (8 candidates): 12 distinct titles, every one shown
    scores = np.tile(np.arange(12, dtype=np.float32), (2, 1))
    exclude = sp.csr_matrix(([True] * 4, ([1] * 4, [8, 9, 10, 11])), shape=(2, 12))
    none = sp.csr_matrix((2, 12), dtype=bool)
    found = rank(np.eye(2, dtype=np.float32), scores.T.copy(), exclude, none, np.empty(0, np.int64),
                 scored=np.arange(2), coverage=True)  # fmt: skip
    assert found.covered is not None
    assert found.covered.tolist() == [True] * 12
    only_b = rank(np.eye(2, dtype=np.float32), scores.T.copy(), exclude, none, np.empty(0, np.int64),
                  scored=np.array([1]), coverage=True)  # fmt: skip
    assert only_b.covered is not None
    assert np.flatnonzero(only_b.covered).tolist() == list(range(8))
    assert len(found.eval_users) == 0  # nothing held out: scored for coverage only


def test_batches_give_the_figures_of_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    positives = [sorted(rng.choice(N_TITLES, size=int(rng.integers(2, 12)), replace=False).tolist())
                 for _ in range(40)]  # fmt: skip
    held = {(u, titles[-1]) for u, titles in enumerate(positives)}
    scores = rng.normal(size=(40, N_TITLES))
    whole = metrics_for(scores, positives, held)
    monkeypatch.setattr("adapters.lightfm_engine.rank_batches.MAX_SCORE_CELLS", 3 * N_TITLES)
    batched = metrics_for(scores, positives, held)
    assert batched == pytest.approx(whole)
    assert whole["warm_users"] + whole["cold_users"] == whole["n_eval_users"] == 40
    assert 0 < whole["coverage_at_10"] <= 1

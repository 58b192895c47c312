"""The quality table's metrics, the same code for every row: a (users x titles) score matrix in,
per-user figures out, then means over all evaluated users or a segment of them.

A user's list is the k best titles outside `exclude`, ties broken by title order (a real list has k
titles, so ties cannot inflate precision); a title scored -inf (excluded, or not in a served list) is
never a hit. Users without a held-out title are not evaluated. The ranking metrics follow Microsoft
Recommenders' `python_evaluation` definitions (binary relevance):

- precision@k = hits / k; recall@k = hits / held-out titles;
- NDCG@k = sum over hits of 1 / ln(1 + rank), over the same sum for the first min(held, k) ranks;
- MAP (their `map`, the Spark-style definition their published MovieLens table reports) = sum over
  hits of (hits so far / rank), divided by the number of held-out titles; MAP@k (their `map_at_k`
  since the change discussed in recommenders issues #1702 and #2309) divides the same sum by
  min(held, k), so it is never below MAP.

AUC compares held-out titles with every other title outside `exclude`, ties counting half.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

K = 10
BATCH_USERS = 512
WARM_MIN_POSITIVES = 6  # warm: more than 5 training positives; cold: 5 or fewer

FIGURES = ("precision", "recall", "ndcg", "map", "map_at_k", "auc")


@dataclass(frozen=True)
class PerUser:
    """Figures per evaluated user (rows of the score matrix in `users`), each array aligned with it."""

    users: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    ndcg: np.ndarray
    map: np.ndarray
    map_at_k: np.ndarray
    auc: np.ndarray

    def mean(self, mask: np.ndarray | None = None) -> dict[str, float]:
        """Means over the evaluated users, or over those where `mask` (aligned with `users`) holds."""
        chosen = np.ones(len(self.users), dtype=bool) if mask is None else mask
        n = int(chosen.sum())
        figures = {name: float(getattr(self, name)[chosen].mean()) if n else float("nan") for name in FIGURES}
        return {**figures, "users": float(n)}


def evaluate(scores: np.ndarray, exclude: sp.csr_matrix, test: sp.csr_matrix, k: int = K) -> PerUser:
    """Every figure of every user with a held-out title, from one top-k list per user."""
    users = np.flatnonzero(np.diff(test.indptr))
    parts = [
        _batch(scores, exclude, test, users[i : i + BATCH_USERS], k)
        for i in range(0, len(users), BATCH_USERS)
    ]
    if not parts:
        return PerUser(users, *[np.zeros(0) for _ in FIGURES])
    return PerUser(users, *[np.concatenate(column) for column in zip(*parts, strict=True)])


def _batch(
    scores: np.ndarray, exclude: sp.csr_matrix, test: sp.csr_matrix, users: np.ndarray, k: int
) -> tuple[np.ndarray, ...]:
    block = np.array(scores[users], dtype=np.float64)
    excluded = exclude[users].toarray()
    held = test[users].toarray()
    block[excluded] = -np.inf
    top = top_k(block, k)
    hit = np.take_along_axis(held, top, axis=1) & np.isfinite(np.take_along_axis(block, top, axis=1))
    n_held = held.sum(axis=1).astype(np.float64)
    ranks = np.arange(1, top.shape[1] + 1, dtype=np.float64)
    discount = 1.0 / np.log1p(ranks)
    ideal = np.cumsum(discount)[np.minimum(n_held, top.shape[1]).astype(int) - 1]
    precision_sum = (np.cumsum(hit, axis=1) / ranks * hit).sum(axis=1)
    hits = hit.sum(axis=1)
    return (
        hits / k,
        hits / n_held,
        (hit * discount).sum(axis=1) / ideal,
        precision_sum / n_held,
        precision_sum / np.minimum(n_held, k),
        _auc(block, excluded, held, n_held),
    )


def _auc(block: np.ndarray, excluded: np.ndarray, held: np.ndarray, n_held: np.ndarray) -> np.ndarray:
    # Ranks among all titles; the excluded ones (-inf) fill the bottom ranks, so subtracting their
    # count gives ranks among the candidates.
    ranks = rankdata(block, axis=1, method="average") - excluded.sum(axis=1, keepdims=True)
    n_neg = (~excluded).sum(axis=1) - n_held
    wins = np.where(held, ranks, 0.0).sum(axis=1) - n_held * (n_held + 1) / 2
    auc: np.ndarray = np.divide(wins, n_held * n_neg, out=np.zeros(len(block)), where=n_neg > 0)
    return auc


def top_k(block: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k best scores, ties by column order."""
    return np.argsort(-block, axis=1, kind="stable")[:, :k]


def coverage(scores: np.ndarray, exclude: sp.csr_matrix, k: int = K) -> float:
    """Share of titles in at least one user's top k, over every user with a finite score (a row of
    -inf is a user the row does not serve)."""
    shown = np.zeros(scores.shape[1], dtype=bool)
    for start in range(0, scores.shape[0], BATCH_USERS):
        block = np.array(scores[start : start + BATCH_USERS], dtype=np.float64)
        block[exclude[start : start + BATCH_USERS].toarray()] = -np.inf
        top = top_k(block, k)
        finite = np.isfinite(np.take_along_axis(block, top, axis=1))
        shown[top[finite]] = True
    return float(shown.mean()) if len(shown) else 0.0


def warm_mask(per_user: PerUser, train_positive: sp.csr_matrix) -> np.ndarray:
    """True for the evaluated users with more than 5 training positives."""
    counts = np.diff(train_positive.indptr)[per_user.users]
    return np.asarray(counts >= WARM_MIN_POSITIVES)


def ordered_lists(lists: list[list[int]], rows: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Served lists as a score matrix: the first title scores highest, titles not served -inf, so the
    lists go through `evaluate` like any other row."""
    scores = np.full(shape, -np.inf)
    for row, titles in zip(rows, lists, strict=True):
        scores[row, titles] = np.arange(len(titles), 0, -1, dtype=np.float64)
    return scores

"""precision@k, recall@k and AUC from a (users x titles) score matrix, the same for every row of the table.

A user's list is the k best titles outside `exclude`, ties broken by title order (a real list has k
titles, so ties cannot inflate precision); AUC compares held-out titles with every other title outside
`exclude`, ties counting half. Users without a held-out title are not evaluated.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

K = 10
BATCH_USERS = 512


def ranking_metrics(
    scores: np.ndarray, exclude: sp.csr_matrix, test: sp.csr_matrix, k: int = K
) -> dict[str, float]:
    users = np.flatnonzero(np.diff(test.indptr))
    sums = np.zeros(3)
    for start in range(0, len(users), BATCH_USERS):
        sums += _batch(scores, exclude, test, users[start : start + BATCH_USERS], k)
    n = max(len(users), 1)
    return {
        f"precision_at_{k}": sums[0] / n,
        f"recall_at_{k}": sums[1] / n,
        "auc": sums[2] / n,
        "users": float(len(users)),
    }


def _batch(
    scores: np.ndarray, exclude: sp.csr_matrix, test: sp.csr_matrix, users: np.ndarray, k: int
) -> np.ndarray:
    block = np.array(scores[users], dtype=np.float64)
    excluded = exclude[users].toarray()
    held = test[users].toarray()
    block[excluded] = -np.inf
    top = np.argsort(-block, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(held, top, axis=1).sum(axis=1)
    n_held = held.sum(axis=1)
    # Ranks among all titles; the excluded ones (-inf) fill the bottom ranks, so subtracting their
    # count gives ranks among the candidates.
    ranks = rankdata(block, axis=1, method="average") - excluded.sum(axis=1, keepdims=True)
    n_neg = (~excluded).sum(axis=1) - n_held
    pos_rank_sum = np.where(held, ranks, 0.0).sum(axis=1)
    wins = pos_rank_sum - n_held * (n_held + 1) / 2
    auc = np.divide(wins, n_held * n_neg, out=np.zeros(len(users)), where=n_neg > 0)
    return np.array([(hits / k).sum(), (hits / n_held).sum(), auc.sum()])


def list_metrics(lists: sp.csr_matrix, test: sp.csr_matrix, k: int = K) -> dict[str, float]:
    """precision@k and recall@k of given lists (bool, at most k titles per user) on `test`."""
    users = np.flatnonzero(np.diff(test.indptr))
    hits = np.asarray(lists[users].multiply(test[users]).sum(axis=1), dtype=np.float64).ravel()
    n_held = np.diff(test.indptr)[users].astype(np.float64)
    n = max(len(users), 1)
    return {
        f"precision_at_{k}": float((hits / k).sum() / n),
        f"recall_at_{k}": float((hits / n_held).sum() / n),
    }

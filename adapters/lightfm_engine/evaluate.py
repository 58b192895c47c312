"""Held-out split and ranking metrics (precision@k, recall@k, AUC) computed with numpy.

Scores come from the augmented matrices of `vectors.py`, i.e. exactly what serving computes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from adapters.lightfm_engine.prepare import Prepared
from adapters.lightfm_engine.vectors import F32, augmented

MAX_SCORE_CELLS = 4_000_000  # scores held at once: (users in a batch) x (titles)


def split_holdout(
    rows: npt.NDArray[np.integer], n_users: int, fraction: float, rng: np.random.Generator
) -> npt.NDArray[np.bool_]:
    """Mask of the positives held out: round(fraction * n) (at least 1) of each user with n >= 2.

    At least one positive of every user stays in training.
    """
    counts = np.bincount(rows, minlength=n_users)
    quota = np.maximum(1, np.round(fraction * counts)).astype(np.int64)
    quota = np.where(counts >= 2, np.minimum(quota, counts - 1), 0)
    order = np.lexsort((rng.random(len(rows)), rows))
    sorted_rows = rows[order]
    rank = np.arange(len(rows)) - np.searchsorted(sorted_rows, sorted_rows, side="left")
    held = np.empty(len(rows), dtype=bool)
    held[order] = rank < quota[sorted_rows]
    return held


def auc_sample(heldout: sp.csr_matrix, max_users: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Sorted rows of at most `max_users` users drawn among those with a held-out title."""
    eval_users = np.flatnonzero(np.diff(heldout.indptr))
    size = min(max_users, len(eval_users))
    return np.sort(rng.choice(eval_users, size=size, replace=False)).astype(np.int64)


def holdout_metrics(
    user_aug: F32,
    item_aug: F32,
    prepared: Prepared,
    held: npt.NDArray[np.bool_],
    auc_users: npt.NDArray[np.integer],
    workers: int = 1,
) -> dict[str, float]:
    """Ranking metrics on the random holdout (training titles excluded), plus the popular list's."""
    heldout = pair_matrix(prepared.pos_rows[held], prepared.pos_cols[held], prepared.shape)
    exclude = without(prepared.seen, heldout)
    metrics = ranking_metrics(user_aug, item_aug, exclude, heldout, auc_users, k=10, workers=workers)
    # The popular list on the same holdout: what the model has to beat.
    train = pair_matrix(prepared.pos_rows[~held], prepared.pos_cols[~held], prepared.shape)
    counts = np.asarray(train.getnnz(axis=0), dtype=np.float32).reshape(-1, 1)
    ones = np.ones((prepared.shape[0], 1), dtype=np.float32)
    baseline = ranking_metrics(ones, counts, exclude, heldout, auc_users, k=10, workers=workers)
    for name in ("precision_at_10", "recall_at_10", "auc"):
        metrics[f"popular_{name}"] = baseline[name]
    return metrics


def model_vectors(
    prepared: Prepared, user_embeddings: F32, user_biases: F32, item_embeddings: F32, item_biases: F32
) -> tuple[F32, F32]:
    """Augmented user and title matrices (biases folded in) of a model over `prepared`'s rows."""
    users = augmented(prepared.users.matrix, user_embeddings, user_biases, user_side=True)
    items = augmented(prepared.titles.matrix, item_embeddings, item_biases, user_side=False)
    return users, items


def pair_matrix(
    rows: npt.NDArray[np.integer], cols: npt.NDArray[np.integer], shape: tuple[int, int]
) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def without(matrix: sp.csr_matrix, removed: sp.csr_matrix) -> sp.csr_matrix:
    """Pairs of `matrix` that are not in `removed` (both boolean)."""
    kept = sp.csr_matrix(matrix.astype(np.int8) - matrix.multiply(removed).astype(np.int8))
    kept.eliminate_zeros()
    return sp.csr_matrix(kept, dtype=bool)


def ranking_metrics(
    user_aug: F32,
    item_aug: F32,
    exclude: sp.csr_matrix,
    heldout: sp.csr_matrix,
    auc_users: npt.NDArray[np.integer],
    k: int = 10,
    workers: int = 1,
) -> dict[str, float]:
    """Mean precision@k and recall@k over users with a held-out title, mean AUC over `auc_users`.

    `exclude` holds, per user, the titles that are never ranked (training titles); `heldout` the
    titles to find. As in `lightfm.evaluation`, a title's rank is the number of titles scoring
    strictly higher, and precision divides by k even when fewer titles can be ranked.
    """
    n_items = item_aug.shape[0]
    eval_users = np.flatnonzero(np.diff(heldout.indptr))
    auc_set = np.isin(eval_users, auc_users)
    size = max(1, MAX_SCORE_CELLS // max(n_items, 1))
    batches = [(eval_users[i : i + size], auc_set[i : i + size]) for i in range(0, len(eval_users), size)]

    def run(batch: tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]) -> npt.NDArray[np.float64]:
        return _batch_sums(user_aug, item_aug, exclude, heldout, batch[0], batch[1], k)

    if workers > 1 and len(batches) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:  # numpy releases the GIL
            parts = list(pool.map(run, batches))
    else:
        parts = [run(batch) for batch in batches]
    precision, recall, auc, n_auc = np.sum(parts, axis=0) if parts else np.zeros(4)
    n_eval = len(eval_users)
    return {
        f"precision_at_{k}": float(precision / n_eval) if n_eval else 0.0,
        f"recall_at_{k}": float(recall / n_eval) if n_eval else 0.0,
        "auc": float(auc / n_auc) if n_auc else 0.0,
        "n_eval_users": float(n_eval),
        "n_auc_users": float(n_auc),
    }


def _batch_sums(
    user_aug: F32,
    item_aug: F32,
    exclude: sp.csr_matrix,
    heldout: sp.csr_matrix,
    users: npt.NDArray[np.int64],
    for_auc: npt.NDArray[np.bool_],
    k: int,
) -> npt.NDArray[np.float64]:
    """[sum of precision@k, sum of recall@k, sum of AUC, number of AUC users] over `users`."""
    n_items = item_aug.shape[0]
    scores = user_aug[users] @ item_aug.T
    ex = exclude[users]
    scores[_row_index(ex), ex.indices] = -np.inf
    held = heldout[users]
    rows, n_held = _row_index(held), np.diff(held.indptr)
    held_scores = scores[rows, held.indices]
    # fewer than k titles score strictly higher <=> the score reaches the k-th best one
    kth = (
        np.partition(scores, n_items - k, axis=1)[:, n_items - k]
        if k < n_items
        else np.full(len(users), -np.inf)
    )
    hits = np.bincount(rows, weights=held_scores >= kth[rows], minlength=len(users))
    sums = [float((hits / k).sum()), float((hits / n_held).sum()), 0.0, 0.0]
    chosen = np.flatnonzero(for_auc)
    if len(chosen):
        values = _auc(scores, held_scores, rows, n_held, np.diff(ex.indptr), chosen)
        sums[2:] = [float(values.sum()), float(len(values))]
    return np.asarray(sums)


def _row_index(matrix: sp.csr_matrix) -> npt.NDArray[np.int64]:
    return np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))


def _auc(
    scores: F32,
    held_scores: F32,
    rows: npt.NDArray[np.int64],
    n_held: npt.NDArray[np.integer],
    n_excluded: npt.NDArray[np.integer],
    chosen: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """AUC of the `chosen` rows: held-out titles against titles neither excluded nor held out.

    Summing, over a user's held-out titles, the candidates scoring lower (ties count half) counts
    each pair of held-out titles once, so removing npos * (npos - 1) / 2 leaves the Mann-Whitney
    statistic of held-out against other candidates. Excluded titles score -inf: always lower.
    """
    entries = np.flatnonzero(np.isin(rows, chosen))
    below = np.empty(len(entries), dtype=np.float64)
    step = max(1, MAX_SCORE_CELLS // max(scores.shape[1], 1))
    for start in range(0, len(entries), step):
        part = entries[start : start + step]
        row_scores, own = scores[rows[part]], held_scores[part, None]
        lower = np.count_nonzero(row_scores < own, axis=1)
        equal = np.count_nonzero(row_scores == own, axis=1)
        below[start : start + len(part)] = lower + 0.5 * (equal - 1)
    per_row = np.bincount(rows[entries], weights=below, minlength=scores.shape[0])[chosen]
    n_pos = n_held[chosen].astype(np.float64)
    n_neg = scores.shape[1] - n_excluded[chosen] - n_pos
    wins = per_row - n_excluded[chosen] * n_pos - n_pos * (n_pos - 1) / 2
    valid = n_neg > 0
    auc: npt.NDArray[np.float64] = wins[valid] / (n_pos[valid] * n_neg[valid])
    return auc

"""Held-out split and the holdout's metrics, computed with numpy (the ranking pass: `rank_batches.py`).

Scores come from the augmented matrices of `vectors.py`, i.e. exactly what serving computes.

`holdout_metrics` gives, for the model and for the popular list (`popular_` + the same name):

- ``precision_at_10``, ``recall_at_10`` over the users with a held-out title, ``auc`` over a sample;
- ``warm_precision_at_10``, ``warm_recall_at_10`` over those with more than `COLD_MAX_POSITIVES`
  training positives, ``cold_precision_at_10``, ``cold_recall_at_10`` over the others (0 when a
  segment is empty), with ``warm_users`` and ``cold_users`` (model only). The holdout never takes a
  user's only positive, so a cold user here has 1 to `COLD_MAX_POSITIVES` training positives: their
  representation leans most on their features;
- ``coverage_at_10``: the share of eligible titles (titles some user may be shown, i.e. not excluded
  for every user) found in at least one top 10, over every user of the model, held-out title or not.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from adapters.lightfm_engine.prepare import Prepared
from adapters.lightfm_engine.rank_batches import Ranked, rank
from adapters.lightfm_engine.vectors import F32, augmented

K = 10
COLD_MAX_POSITIVES = 5
"""A user with at most this many training positives is cold in the segment metrics, else warm."""
POPULAR_FIGURES = (
    "precision_at_10", "recall_at_10", "auc", "coverage_at_10",
    "warm_precision_at_10", "warm_recall_at_10", "cold_precision_at_10", "cold_recall_at_10",
)  # fmt: skip


def split_holdout(
    rows: npt.NDArray[np.integer], n_users: int, fraction: float, rng: np.random.Generator
) -> npt.NDArray[np.bool_]:
    """Mask of the positives held out: round(fraction * n) (at least 1) of each user with n >= 2,
    drawn at random. At least one positive of every user stays in training."""
    return holdout_in_order(rows, n_users, fraction, np.lexsort((rng.random(len(rows)), rows)))


def holdout_in_order(
    rows: npt.NDArray[np.integer], n_users: int, fraction: float, order: npt.NDArray[np.integer]
) -> npt.NDArray[np.bool_]:
    """`split_holdout`'s quota per user, taken first in `order` (which must group the rows, e.g. a
    lexsort whose last key is `rows`): round(fraction * n), at least 1, of each user with n >= 2."""
    counts = np.bincount(rows, minlength=n_users)
    quota = np.maximum(1, np.round(fraction * counts)).astype(np.int64)
    quota = np.where(counts >= 2, np.minimum(quota, counts - 1), 0)
    sorted_rows = rows[order]
    position = np.arange(len(rows)) - np.searchsorted(sorted_rows, sorted_rows, side="left")
    held = np.empty(len(rows), dtype=bool)
    held[order] = position < quota[sorted_rows]
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
    train = pair_matrix(prepared.pos_rows[~held], prepared.pos_cols[~held], prepared.shape)
    exclude = without(prepared.seen, heldout)
    everyone = np.arange(prepared.shape[0], dtype=np.int64)  # coverage counts every user's top 10
    model = rank(user_aug, item_aug, exclude, heldout, auc_users, K, workers, everyone, coverage=True)
    # The popular list on the same holdout: what the model has to beat.
    counts = np.asarray(train.getnnz(axis=0), dtype=np.float32).reshape(-1, 1)
    ones = np.ones((prepared.shape[0], 1), dtype=np.float32)
    popular = rank(ones, counts, exclude, heldout, auc_users, K, workers, everyone, coverage=True)
    train_positives = np.diff(train.indptr)
    eligible = exclude.getnnz(axis=0) < prepared.shape[0]
    metrics = segment_figures(model, train_positives, eligible)
    baseline = segment_figures(popular, train_positives, eligible)
    metrics.update({f"popular_{name}": baseline[name] for name in POPULAR_FIGURES})
    return metrics


def segment_figures(
    ranked: Ranked, train_positives: npt.NDArray[np.integer], eligible: npt.NDArray[np.bool_]
) -> dict[str, float]:
    """`ranked`'s figures overall, for warm and cold users, and its coverage of the `eligible` titles."""
    figures = ranked.figures()
    warm = train_positives[ranked.eval_users] > COLD_MAX_POSITIVES
    for segment, among in (("warm", warm), ("cold", ~warm)):
        figures[f"{segment}_precision_at_{K}"] = ranked.precision(among)
        figures[f"{segment}_recall_at_{K}"] = ranked.recall(among)
        figures[f"{segment}_users"] = float(np.count_nonzero(among))
    shown = ranked.covered if ranked.covered is not None else np.zeros(len(eligible), dtype=bool)
    n_eligible = int(np.count_nonzero(eligible))
    figures[f"coverage_at_{K}"] = (
        float(np.count_nonzero(shown & eligible) / n_eligible) if n_eligible else 0.0
    )
    return figures


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

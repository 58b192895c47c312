"""Held-out titles ranked in batches of users: per-user hits at k, AUC and the titles each top k shows.

One pass scores each batch of at most `MAX_SCORE_CELLS` (users x titles) once; every figure of an
evaluation (the overall and per-segment precision and recall, AUC, coverage) comes from that pass.
As in `lightfm.evaluation`, a title's rank is the number of titles scoring strictly higher, and
precision divides by k even when fewer titles can be ranked.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from adapters.lightfm_engine.vectors import F32

MAX_SCORE_CELLS = 4_000_000  # scores held at once: (users in a batch) x (titles)

Rows = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Ranked:
    """What one pass found, per user with a held-out title (`eval_users`, sorted)."""

    k: int
    eval_users: Rows
    hits: F64  # held-out titles within the user's top k (ties at the k-th score count)
    n_held: F64  # held-out titles of the user
    auc_sum: float
    n_auc: int
    covered: Mask | None  # per title: in at least one scored user's top k (when asked for)

    def precision(self, among: Mask | None = None) -> float:
        hits = self.hits if among is None else self.hits[among]
        return float(hits.sum() / self.k / len(hits)) if len(hits) else 0.0

    def recall(self, among: Mask | None = None) -> float:
        hits, held = (self.hits, self.n_held) if among is None else (self.hits[among], self.n_held[among])
        return float((hits / held).sum() / len(hits)) if len(hits) else 0.0

    def figures(self) -> dict[str, float]:
        """Mean precision@k and recall@k over `eval_users`, mean AUC over the AUC users."""
        return {
            f"precision_at_{self.k}": self.precision(),
            f"recall_at_{self.k}": self.recall(),
            "auc": self.auc_sum / self.n_auc if self.n_auc else 0.0,
            "n_eval_users": float(len(self.eval_users)),
            "n_auc_users": float(self.n_auc),
        }


@dataclass(frozen=True, slots=True)
class _Part:
    users: Rows
    hits: F64
    n_held: F64
    auc: tuple[float, int]
    shown: Rows  # titles in a top k of the batch (with repeats)


def rank(
    user_aug: F32,
    item_aug: F32,
    exclude: sp.csr_matrix,
    heldout: sp.csr_matrix,
    auc_users: npt.NDArray[np.integer],
    k: int = 10,
    workers: int = 1,
    scored: Rows | None = None,
    coverage: bool = False,
) -> Ranked:
    """Rank every title for the `scored` users (default: those with a held-out title).

    `exclude` holds, per user, the titles never ranked (training titles); `heldout` the titles to
    find. With `coverage`, `covered` marks the titles that appear in a scored user's top k (titles
    excluded for a user never appear in that user's).
    """
    n_items = item_aug.shape[0]
    if scored is None:
        scored = np.flatnonzero(np.diff(heldout.indptr)).astype(np.int64)
    size = max(1, MAX_SCORE_CELLS // max(n_items, 1))
    batches = [scored[i : i + size] for i in range(0, len(scored), size)] if n_items else []
    auc_set = np.asarray(auc_users, dtype=np.int64)

    def run(users: Rows) -> _Part:
        return _batch(user_aug, item_aug, exclude, heldout, users, np.isin(users, auc_set), k, coverage)

    if workers > 1 and len(batches) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:  # numpy releases the GIL
            parts = list(pool.map(run, batches))
    else:
        parts = [run(users) for users in batches]
    covered = None
    if coverage:
        covered = np.zeros(n_items, dtype=bool)
        for part in parts:
            covered[part.shown] = True
    return Ranked(
        k=k,
        eval_users=_rows([p.users for p in parts]),
        hits=_floats([p.hits for p in parts]),
        n_held=_floats([p.n_held for p in parts]),
        auc_sum=float(sum(p.auc[0] for p in parts)),
        n_auc=int(sum(p.auc[1] for p in parts)),
        covered=covered,
    )


def ranking_metrics(
    user_aug: F32,
    item_aug: F32,
    exclude: sp.csr_matrix,
    heldout: sp.csr_matrix,
    auc_users: npt.NDArray[np.integer],
    k: int = 10,
    workers: int = 1,
) -> dict[str, float]:
    """`Ranked.figures` of the users with a held-out title."""
    return rank(user_aug, item_aug, exclude, heldout, auc_users, k, workers).figures()


def _rows(arrays: list[Rows]) -> Rows:
    return np.concatenate(arrays).astype(np.int64) if arrays else np.zeros(0, dtype=np.int64)


def _floats(arrays: list[F64]) -> F64:
    return np.concatenate(arrays).astype(np.float64) if arrays else np.zeros(0, dtype=np.float64)


def _batch(
    user_aug: F32,
    item_aug: F32,
    exclude: sp.csr_matrix,
    heldout: sp.csr_matrix,
    users: Rows,
    for_auc: Mask,
    k: int,
    coverage: bool,
) -> _Part:
    n_items = item_aug.shape[0]
    scores = user_aug[users] @ item_aug.T
    ex = exclude[users]
    scores[_row_index(ex), ex.indices] = -np.inf
    shown = np.zeros(0, dtype=np.int64)
    if k >= n_items:  # every title is in the top k
        kth = np.full(len(users), -np.inf)
        if coverage:
            shown = np.flatnonzero(np.isfinite(scores).any(axis=0))
    elif coverage:
        top = np.argpartition(scores, n_items - k, axis=1)[:, n_items - k :]
        top_scores = np.take_along_axis(scores, top, axis=1)
        kth = top_scores.min(axis=1)
        shown = top[np.isfinite(top_scores)].astype(np.int64)
    else:
        kth = np.partition(scores, n_items - k, axis=1)[:, n_items - k]
    held = heldout[users]
    rows, n_held = _row_index(held), np.diff(held.indptr)
    held_scores = scores[rows, held.indices]
    # fewer than k titles score strictly higher <=> the score reaches the k-th best one
    hits = np.bincount(rows, weights=held_scores >= kth[rows], minlength=len(users))
    has_held = n_held > 0
    auc = (0.0, 0)
    chosen = np.flatnonzero(for_auc & has_held)
    if len(chosen):
        values = _auc(scores, held_scores, rows, n_held, np.diff(ex.indptr), chosen)
        auc = (float(values.sum()), len(values))
    return _Part(users[has_held], hits[has_held], n_held[has_held].astype(np.float64), auc, shown)


def _row_index(matrix: sp.csr_matrix) -> Rows:
    return np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))


def _auc(
    scores: F32,
    held_scores: F32,
    rows: Rows,
    n_held: npt.NDArray[np.integer],
    n_excluded: npt.NDArray[np.integer],
    chosen: Rows,
) -> F64:
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
    auc: F64 = wins[valid] / (n_pos[valid] * n_neg[valid])
    return auc

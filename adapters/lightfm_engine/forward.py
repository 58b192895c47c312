"""Compare forward in time (the activation policy of scheduled and daily jobs, `domain.activation_policy`).

The positives newer than the active model's cutoff (a pair is newer when its FIRST positive event is
after the cutoff, i.e. it was not a positive in the active model's data) are left out of the
candidate's evaluation fit. Both models then rank, for every user that has such a positive and is
known to the active model, all their titles except those the user had seen up to the cutoff; the
targets are those newer positives (minus any title seen up to the cutoff, which cannot be ranked).
Precision@10 is averaged over those users. A target title unknown to the active model simply cannot
be found by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from adapters.lightfm_engine.bundle import check_bundle, csr_from_parts
from adapters.lightfm_engine.evaluate import pair_matrix, without
from adapters.lightfm_engine.prepare import Prepared
from adapters.lightfm_engine.rank_batches import ranking_metrics
from adapters.lightfm_engine.vectors import F32, augmented
from application.ports import ArtifactBundle, ForwardResult

Rows = npt.NDArray[np.int64]
K = 10


def cutoff_micros(cutoff: datetime) -> int:
    """A cutoff as microseconds since the epoch; a naive datetime is taken as UTC."""
    if cutoff.tzinfo is not None:
        cutoff = cutoff.astimezone(UTC).replace(tzinfo=None)
    return int(np.datetime64(cutoff, "us").astype(np.int64))


@dataclass(frozen=True, slots=True)
class ForwardSplit:
    cutoff_us: int
    newer: npt.NDArray[np.bool_]  # over the prepared positives: left out of the evaluation fit
    users: Rows  # users scored (sorted rows)
    targets: sp.csr_matrix  # their newer positives, none of them seen up to the cutoff
    exclude: sp.csr_matrix  # every pair seen up to the cutoff
    auc_users: Rows  # sample of `users` for the candidate's AUC

    @property
    def positives(self) -> int:
        return int(self.targets.nnz)


def seen_until(prepared: Prepared, cutoff_us: int) -> sp.csr_matrix:
    seen = prepared.seen
    keep = prepared.seen_first_us <= cutoff_us
    rows = np.repeat(np.arange(seen.shape[0], dtype=np.int64), np.diff(seen.indptr))
    return pair_matrix(rows[keep], seen.indices[keep], prepared.shape)


def build_split(prepared: Prepared, cutoff_us: int, users: Rows, auc_users: Rows) -> ForwardSplit:
    """The split for given scored users (as recorded in a dataset snapshot)."""
    newer = prepared.pos_first_us > cutoff_us
    exclude = seen_until(prepared, cutoff_us)
    chosen = np.zeros(prepared.shape[0], dtype=bool)
    chosen[users] = True
    wanted = newer & chosen[prepared.pos_rows]
    targets = without(
        pair_matrix(prepared.pos_rows[wanted], prepared.pos_cols[wanted], prepared.shape), exclude
    )
    return ForwardSplit(cutoff_us, newer, np.asarray(users, dtype=np.int64), targets, exclude, auc_users)


def plan_forward(
    prepared: Prepared,
    cutoff_us: int,
    baseline_user_ids: npt.ArrayLike,
    auc_max_users: int,
    rng: np.random.Generator,
) -> ForwardSplit:
    """Choose the users: those with a newer positive not seen up to the cutoff, known to the baseline."""
    everyone = np.arange(prepared.shape[0], dtype=np.int64)
    draft = build_split(prepared, cutoff_us, everyone, np.empty(0, dtype=np.int64))
    has_target = np.flatnonzero(np.diff(draft.targets.indptr))
    known = lookup(np.asarray(baseline_user_ids, dtype=np.int64), prepared.users.ids[has_target]) >= 0
    users = has_target[known].astype(np.int64)
    size = min(auc_max_users, len(users))
    auc_users = np.sort(rng.choice(users, size=size, replace=False)).astype(np.int64)
    return build_split(prepared, cutoff_us, users, auc_users)


def candidate_metrics(user_aug: F32, item_aug: F32, split: ForwardSplit, workers: int) -> dict[str, float]:
    """precision@10, recall@10 and AUC of a model over `prepared`'s rows, on the forward targets."""
    return ranking_metrics(user_aug, item_aug, split.exclude, split.targets, split.auc_users, K, workers)


def baseline_precision(
    baseline: ArtifactBundle, prepared: Prepared, split: ForwardSplit, workers: int
) -> float:
    """precision@10 of the active model on the same users and targets, in its own id space."""
    if not len(split.users):
        return 0.0
    check_bundle(baseline)
    arrays = baseline.arrays
    base_users = np.asarray(arrays["user_ids"], dtype=np.int64)
    base_titles = np.asarray(arrays["title_ids"], dtype=np.int64)
    user_map = lookup(base_users, prepared.users.ids)
    title_map = lookup(base_titles, prepared.titles.ids)
    shape = (len(base_users), len(base_titles))
    targets = _remap(split.targets, user_map, title_map, shape)
    exclude = _remap(split.exclude, user_map, title_map, shape)
    user_aug = augmented(
        csr_from_parts(arrays, "user_features"),
        arrays["user_embeddings"],
        arrays["user_biases"],
        user_side=True,
    )
    item_aug = augmented(
        csr_from_parts(arrays, "item_features"),
        arrays["item_embeddings"],
        arrays["item_biases"],
        user_side=False,
    )
    none = np.empty(0, dtype=np.int64)
    found = ranking_metrics(user_aug, item_aug, exclude, targets, none, K, workers)
    # users whose targets are all unknown titles score 0 but still count
    return found["precision_at_10"] * found["n_eval_users"] / len(split.users)


def forward_result(split: ForwardSplit, candidate_precision: float, active_precision: float) -> ForwardResult:
    return ForwardResult(split.positives, len(split.users), candidate_precision, active_precision)


def forward_metrics(result: ForwardResult) -> dict[str, float]:
    return {
        "forward_positives": float(result.positives),
        "forward_users": float(result.users),
        "forward_precision_at_10": result.candidate_precision_at_10,
        "forward_active_precision_at_10": result.active_precision_at_10,
    }


def lookup(ids: npt.NDArray[np.int64], wanted: npt.ArrayLike) -> Rows:
    """Row of each wanted id in `ids` (any order), -1 when absent."""
    values = np.asarray(wanted, dtype=np.int64)
    if not len(ids):
        return np.full(len(values), -1, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    at = np.minimum(np.searchsorted(ordered, values), len(ids) - 1)
    rows: Rows = np.where(ordered[at] == values, order[at], -1).astype(np.int64)
    return rows


def _remap(matrix: sp.csr_matrix, row_map: Rows, col_map: Rows, shape: tuple[int, int]) -> sp.csr_matrix:
    coo = matrix.tocoo()
    rows, cols = row_map[coo.row], col_map[coo.col]
    ok = (rows >= 0) & (cols >= 0)
    return pair_matrix(rows[ok], cols[ok], shape)

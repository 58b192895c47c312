"""The numpy pieces a scorer ranks with: the titles' arrays, id lookups and the top-n cut."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from adapters.lightfm_engine.prepare import normalize_rows
from adapters.lightfm_engine.vectors import F32, representations
from domain.recommendation import RankedList

Ids = npt.NDArray[np.int64]
EMPTY = RankedList((), ())


@dataclass(frozen=True, slots=True)
class Items:
    """The titles a scorer ranks, swapped as one object when titles are added by their features."""

    ids: Ids  # ascending
    aug: F32  # [V, 1, b_i] per row
    unit: F32  # V scaled to unit norm per row


class NamedFeatures:
    """Embeddings of one side's named features, to represent ids the model has never seen.

    Source weights are multiplied by `scale`, as the model's training did (`prepare.py`).
    """

    def __init__(self, names: Sequence[str], embeddings: F32, biases: F32, n_ids: int, scale: float) -> None:
        self._scale = scale
        self._column = {name: j for j, name in enumerate(names)}
        self._embeddings = np.asarray(embeddings, dtype=np.float32)[n_ids:]
        self._biases = np.asarray(biases, dtype=np.float32)[n_ids:]

    def vector(self, features: Mapping[str, float], normalize: bool) -> tuple[F32, float] | None:
        pairs = [
            (self._column[name], w * self._scale)
            for name, w in features.items()
            if name in self._column and w
        ]
        if not pairs:
            return None
        cols = np.array([c for c, _ in pairs], dtype=np.int64)
        weights = sp.csr_matrix(
            (np.array([w for _, w in pairs], dtype=np.float32), (np.zeros(len(cols), dtype=np.int64), cols)),
            shape=(1, len(self._column)),
        )
        if normalize:
            weights = normalize_rows(weights)
        latent, bias = representations(weights, self._embeddings, self._biases)
        return latent[0], float(bias[0])


def title_rows(items: Items, title_ids: Collection[int]) -> npt.NDArray[np.int64]:
    if not title_ids:
        return np.empty(0, dtype=np.int64)
    try:
        wanted = np.fromiter(title_ids, dtype=np.int64, count=len(title_ids))
    except OverflowError:  # ids outside int64 are unknown to the model anyway
        wanted = np.fromiter((t for t in title_ids if 0 <= t < 2**63), dtype=np.int64)
    rows: npt.NDArray[np.int64] = np.searchsorted(items.ids, wanted)
    inside = rows < len(items.ids)
    rows = rows[inside]
    known: npt.NDArray[np.int64] = rows[items.ids[rows] == wanted[inside]]
    return known


def ranked(
    items: Items, scores: F32, n: int, banned: npt.NDArray[np.int64], only: Collection[int] | None
) -> RankedList:
    """`top`, or with `only` the best `n` among those titles alone (rows outside it never compete:
    a request-time filter held by few titles still fills its list)."""
    if only is None:
        return top(items, scores, n, banned)
    keep = np.zeros(len(scores), dtype=bool)
    keep[title_rows(items, only)] = True
    keep[banned] = False
    rows = np.flatnonzero(keep)
    k = min(n, len(rows))
    if k <= 0:
        return EMPTY
    among = scores[rows]
    chosen = np.argpartition(-among, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
    chosen.sort()
    best = chosen[np.argsort(-among[chosen], kind="stable")]
    return RankedList(tuple(items.ids[rows[best]].tolist()), tuple(among[best].tolist()))


def top(items: Items, scores: F32, n: int, banned: npt.NDArray[np.int64]) -> RankedList:
    """Best `n` of `scores` outside rows `banned` (repeats allowed), best first, ties by row."""
    k = min(n, len(scores) - _count_distinct(banned))
    if k <= 0:
        return EMPTY
    scores[banned] = -np.inf
    if k < len(scores):
        best_k = np.argpartition(-scores, k - 1)[:k]
        best_k.sort()
    else:
        best_k = np.arange(len(scores))
    best = best_k[np.argsort(-scores[best_k], kind="stable")][:k]
    return RankedList(tuple(items.ids[best].tolist()), tuple(scores[best].tolist()))


def row_of(sorted_ids: Ids, value: int) -> int | None:
    if not 0 < value < 2**63:
        return None
    row = int(sorted_ids.searchsorted(value))  # the method and .item(): a third of np.searchsorted's cost
    if row < len(sorted_ids) and sorted_ids.item(row) == value:
        return row
    return None


def _count_distinct(rows: npt.NDArray[np.int64]) -> int:
    if len(rows) < 2:
        return len(rows)
    ordered = np.sort(rows)  # then count the changes: cheaper than np.unique, which builds the values
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


def frozen(values: Ids) -> Ids:
    out = np.ascontiguousarray(values, dtype=np.int64)
    out.flags.writeable = False
    return out

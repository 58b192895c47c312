"""Ranking over one model's title rows: the best n of a score vector outside banned rows, or among
a set of titles alone (a request-time filter)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from adapters.lightfm_engine.vectors import F32
from domain.recommendation import RankedList

Ids = npt.NDArray[np.int64]
EMPTY = RankedList((), ())


@dataclass(frozen=True, slots=True)
class Items:
    """The titles a scorer ranks, swapped as one object when titles are added by their features."""

    ids: Ids  # ascending
    aug: F32  # [V, 1, b_i] per row
    unit: F32  # V scaled to unit norm per row


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
    """`best_outside`, or with `only` the best `n` among those titles alone (rows outside it never
    compete)."""
    if only is None:
        return best_outside(items, scores, n, banned)
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


def best_outside(items: Items, scores: F32, n: int, banned: npt.NDArray[np.int64]) -> RankedList:
    """Best `n` of `scores` outside rows `banned` (repeats allowed), best first, ties by row."""
    k = min(n, len(scores) - count_distinct(banned))
    if k <= 0:
        return EMPTY
    scores[banned] = -np.inf
    if k < len(scores):
        top = np.argpartition(-scores, k - 1)[:k]
        top.sort()
    else:
        top = np.arange(len(scores))
    best = top[np.argsort(-scores[top], kind="stable")][:k]
    return RankedList(tuple(items.ids[best].tolist()), tuple(scores[best].tolist()))


def row_of(sorted_ids: Ids, value: int) -> int | None:
    if not 0 < value < 2**63:
        return None
    row = int(sorted_ids.searchsorted(value))  # the method and .item(): a third of np.searchsorted's cost
    if row < len(sorted_ids) and sorted_ids.item(row) == value:
        return row
    return None


def count_distinct(rows: npt.NDArray[np.int64]) -> int:
    if len(rows) < 2:
        return len(rows)
    ordered = np.sort(rows)  # then count the changes: cheaper than np.unique, which builds the values
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


def frozen(values: Ids) -> Ids:
    out = np.ascontiguousarray(values, dtype=np.int64)
    out.flags.writeable = False
    return out

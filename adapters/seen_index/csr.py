"""Seen pairs as compressed sparse rows: sorted user ids, offsets into one array of title ids.

Each array is int32 while its values fit, else int64: per pair one title id, per user an id and an
offset, so at most 16 bytes per pair even with one pair per user (large ids: 8 bytes per pair more
at worst). Titles are sorted and distinct within each user.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
IdArray = npt.NDArray[np.int32] | npt.NDArray[np.int64]
INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class SeenRows:
    users: IdArray  # ascending, distinct
    offsets: IdArray  # len(users) + 1; the titles of users[i] are titles[offsets[i]:offsets[i + 1]]
    titles: IdArray
    # Lookups bisect memoryviews of the same buffers: a numpy call per scalar costs more than the search.
    _users: memoryview = field(init=False, repr=False, compare=False)
    _offsets: memoryview = field(init=False, repr=False, compare=False)
    _titles: memoryview = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("users", "offsets", "titles"):
            object.__setattr__(self, f"_{name}", np.ascontiguousarray(getattr(self, name)).data)

    @classmethod
    def empty(cls) -> SeenRows:
        return cls(np.empty(0, np.int32), np.zeros(1, np.int32), np.empty(0, np.int32))

    @property
    def n_pairs(self) -> int:
        return len(self.titles)

    @property
    def nbytes(self) -> int:
        return int(self.users.nbytes + self.offsets.nbytes + self.titles.nbytes)

    def titles_of(self, user_id: int) -> list[int]:
        """The user's titles, ascending (empty for an unknown user)."""
        span = self._span(user_id)
        return [] if span is None else self._titles[span[0] : span[1]].tolist()

    def contains(self, user_id: int, title_id: int) -> bool:
        span = self._span(user_id)
        if span is None:
            return False
        at = bisect_left(self._titles, title_id, span[0], span[1])
        return at < span[1] and self._titles[at] == title_id

    def _span(self, user_id: int) -> tuple[int, int] | None:
        users = self._users
        row = bisect_left(users, user_id)
        if row == len(users) or users[row] != user_id:
            return None
        return self._offsets[row], self._offsets[row + 1]


def merged(rows: SeenRows, user_ids: npt.ArrayLike, title_ids: npt.ArrayLike) -> SeenRows:
    """`rows` with the pairs (user_ids[i], title_ids[i]) added (repeats and known pairs are harmless).

    One sort of every pair: run it off the event loop for large arrays (numpy releases the GIL).
    """
    new_users = np.asarray(user_ids, dtype=np.int64)
    new_titles = np.asarray(title_ids, dtype=np.int64)
    if not len(new_users):
        return rows
    users = np.concatenate([np.repeat(rows.users.astype(np.int64), np.diff(rows.offsets)), new_users])
    titles = np.concatenate([rows.titles.astype(np.int64), new_titles])
    del new_users, new_titles
    if _packable(users, titles):
        users, titles = _sorted_packed(users, titles)
    else:
        order = np.lexsort((titles, users))
        users, titles = users[order], titles[order]
        del order
    distinct = np.empty(len(users), dtype=bool)
    distinct[0] = True
    np.not_equal(users[1:], users[:-1], out=distinct[1:])
    starts_mask = distinct.copy()
    distinct[1:] |= titles[1:] != titles[:-1]
    users, titles, starts_mask = users[distinct], titles[distinct], starts_mask[distinct]
    starts = np.flatnonzero(starts_mask)
    offsets = np.append(starts, len(titles))
    return SeenRows(_narrowed(users[starts]), _narrowed(offsets), _narrowed(titles))


def _packable(users: Ints, titles: Ints) -> bool:
    return bool(users.max() <= INT32_MAX and titles.min() >= 0 and titles.max() <= UINT32_MAX)


def _sorted_packed(users: Ints, titles: Ints) -> tuple[Ints, Ints]:
    """Both sorted by (user, title) with one sort of int64 keys ``user << 32 | title`` (ids small
    enough): several times quicker than `lexsort` and its two gathers."""
    keys = (users << 32) | titles
    keys.sort()
    return keys >> 32, keys & UINT32_MAX


def _narrowed(values: Ints) -> IdArray:
    if not len(values) or (values.min() >= 0 and values.max() <= INT32_MAX):
        return values.astype(np.int32)
    return values.astype(np.int64)

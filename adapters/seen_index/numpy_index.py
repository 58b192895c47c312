"""`SeenIndex` over numpy arrays with a small delta in front (contract section 11).

Lookups read the arrays (`SeenRows`) and the delta, a dict of sets for the pairs added since the
last merge. The tail's batches and hot events go into the delta; when it holds more than
`max(MIN_DELTA_PAIRS, pairs / DELTA_SHARE)` pairs it is merged into new arrays in a worker thread
(one sort, amortised over the pairs it absorbed), and swapped in by one assignment. A full read is
merged the same way, straight from its arrays.

Pairs that joined lately are also kept per user for `recent_seconds` (the cache's TTL): a list
cached before they joined may still hold them, so reads filter them out of cached lists. After a
restart, the pairs of the full read created within that window count as recent too (a shared
cache may hold lists computed before they were written).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

import numpy as np

from adapters.seen_index.csr import Ints, SeenRows, merged
from application.ports import SeenIndex, SeenPairs

MIN_DELTA_PAIRS = 50_000
DELTA_SHARE = 64  # the delta (about 70 bytes a pair in sets) stays near 1/64 of the arrays' pairs
BATCH_ROWS = 10_000  # a large tail batch yields to the event loop between chunks of this size
MAX_RECENT_USERS = 100_000
MAX_LATE_ROWS = 200_000  # rows of a full read marked recent at most (the newest)
_NONE: frozenset[int] = frozenset()


class NumpySeenIndex(SeenIndex):
    def __init__(
        self,
        recent_seconds: float = 3600.0,
        *,
        min_delta_pairs: int = MIN_DELTA_PAIRS,
        max_recent_users: int = MAX_RECENT_USERS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._rows = SeenRows.empty()
        self._delta: dict[int, set[int]] = {}
        self._merging: dict[int, set[int]] = {}  # the delta a running merge is absorbing
        self._delta_pairs = 0
        self._min_delta = min_delta_pairs
        self._recent: OrderedDict[int, tuple[float, frozenset[int]]] = OrderedDict()
        self._recent_seconds = recent_seconds
        self._max_recent_users = max_recent_users
        self._clock = clock
        self._wall_clock = wall_clock
        self._ready = False
        self._watermark: datetime | None = None
        self._lock = asyncio.Lock()  # one merge at a time

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def watermark(self) -> datetime | None:
        return self._watermark

    @property
    def n_pairs(self) -> int:
        """Pairs held (those in the delta may repeat ones in the arrays only across a merge)."""
        return self._rows.n_pairs + self._delta_pairs

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (the delta is bounded by the merge threshold)."""
        return self._rows.nbytes

    @property
    def delta_pairs(self) -> int:
        return self._delta_pairs

    def seen(self, user_id: int) -> frozenset[int]:
        found = self._rows.titles_of(user_id)
        extra, merging = self._delta.get(user_id), self._merging.get(user_id)
        if extra is None and merging is None:
            return frozenset(found) if found else _NONE
        titles = set(found)
        titles.update(extra or (), merging or ())
        return frozenset(titles)

    def recent(self, user_id: int) -> frozenset[int]:
        entry = self._recent.get(user_id)
        if entry is None or self._clock() - entry[0] > self._recent_seconds:
            return _NONE
        return entry[1]

    def add(self, user_id: int, title_id: int) -> None:
        if self._holds(user_id, title_id):
            return
        self._delta.setdefault(user_id, set()).add(title_id)
        self._delta_pairs += 1
        self._remember(user_id, title_id)

    async def load(self, pairs: SeenPairs, *, full: bool = False) -> int:
        users = np.asarray(pairs.user_ids, dtype=np.int64)
        titles = np.asarray(pairs.title_ids, dtype=np.int64)
        async with self._lock:
            before = self.n_pairs
            if full:
                rows = self._rows
                self._rows = await asyncio.to_thread(merged, rows, users, titles)
                self._ready = True
                added = self.n_pairs - before
                self._remember_lately_created(users, titles, np.asarray(pairs.created_us, dtype=np.int64))
            else:
                added = await self._add_batch(users.tolist(), titles.tolist())
            if pairs.newest is not None and (self._watermark is None or pairs.newest > self._watermark):
                self._watermark = pairs.newest
            if self._delta_pairs > max(self._min_delta, self._rows.n_pairs // DELTA_SHARE):
                await self._merge_delta()
            self._prune_recent()
        return added

    async def _add_batch(self, users: list[int], titles: list[int]) -> int:
        added = 0
        for start in range(0, len(users), BATCH_ROWS):
            if start:
                await asyncio.sleep(0)  # a batch after an outage may be large: let requests in
            chunk = slice(start, start + BATCH_ROWS)
            for user_id, title_id in zip(users[chunk], titles[chunk], strict=True):
                if not self._holds(user_id, title_id):
                    self.add(user_id, title_id)
                    added += 1
        return added

    async def _merge_delta(self) -> None:
        """Merge the delta into new arrays in a worker thread; lookups meanwhile read both."""
        self._merging, self._delta = self._delta, {}
        absorbed, self._delta_pairs = self._delta_pairs, 0
        users = [user for user, titles in self._merging.items() for _ in titles]
        titles = [title for user_titles in self._merging.values() for title in user_titles]
        try:
            self._rows = await asyncio.to_thread(merged, self._rows, users, titles)
        except BaseException:
            for user, user_titles in self._merging.items():  # nothing may be lost: back to the delta
                self._delta.setdefault(user, set()).update(user_titles)
            self._delta_pairs += absorbed
            raise
        finally:
            self._merging = {}

    def _holds(self, user_id: int, title_id: int) -> bool:
        extra, merging = self._delta.get(user_id), self._merging.get(user_id)
        if (extra is not None and title_id in extra) or (merging is not None and title_id in merging):
            return True
        return self._rows.contains(user_id, title_id)

    def _remember(self, user_id: int, title_id: int) -> None:
        now = self._clock()
        entry = self._recent.pop(user_id, None)
        titles = frozenset({title_id})
        if entry is not None and now - entry[0] <= self._recent_seconds:
            titles |= entry[1]
        self._recent[user_id] = (now, titles)  # newest last: pruning pops from the front
        while len(self._recent) > self._max_recent_users:
            self._recent.popitem(last=False)

    def _remember_lately_created(self, users: Ints, titles: Ints, created_us: Ints) -> None:
        """Pairs of a full read created within the recent window (the newest ones, bounded)."""
        since_us = int((self._wall_clock() - self._recent_seconds) * 1_000_000)
        late = np.flatnonzero(created_us >= since_us)[-MAX_LATE_ROWS:]
        for user_id, title_id in zip(users[late].tolist(), titles[late].tolist(), strict=True):
            self._remember(user_id, title_id)

    def _prune_recent(self) -> None:
        limit = self._clock() - self._recent_seconds
        while self._recent and next(iter(self._recent.values()))[0] < limit:
            self._recent.popitem(last=False)

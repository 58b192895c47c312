"""An in-memory `SeenIndex` of plain sets, for use-case tests (the real one is `adapters/seen_index`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from application.ports import SeenIndex, SeenPairs


@dataclass
class InMemorySeenIndex(SeenIndex):
    pairs: dict[int, set[int]] = field(default_factory=dict)
    recent_pairs: dict[int, set[int]] = field(default_factory=dict)  # never expire here
    loaded: bool = False
    mark: datetime | None = None
    recent_seconds: float = 3600.0
    wall_clock: Callable[[], float] = time.time

    @property
    def ready(self) -> bool:
        return self.loaded

    @property
    def watermark(self) -> datetime | None:
        return self.mark

    def seen(self, user_id: int) -> frozenset[int]:
        return frozenset(self.pairs.get(user_id, ()))

    def recent(self, user_id: int) -> frozenset[int]:
        return frozenset(self.recent_pairs.get(user_id, ()))

    def add(self, user_id: int, title_id: int) -> None:
        if title_id not in self.pairs.get(user_id, ()):
            self.pairs.setdefault(user_id, set()).add(title_id)
            self.recent_pairs.setdefault(user_id, set()).add(title_id)

    async def load(self, pairs: SeenPairs, *, full: bool = False) -> int:
        added = 0
        late_us = (self.wall_clock() - self.recent_seconds) * 1_000_000
        rows = zip(pairs.user_ids, pairs.title_ids, pairs.created_us, strict=True)
        for user_id, title_id, created_us in rows:
            known = title_id in self.pairs.get(user_id, ())
            if full and created_us < late_us:
                self.pairs.setdefault(user_id, set()).add(title_id)
            else:  # a tail's pairs, and a full read's created lately, count as recent
                self.add(user_id, title_id)
            added += not known
        self.loaded = self.loaded or full
        if pairs.newest is not None and (self.mark is None or pairs.newest > self.mark):
            self.mark = pairs.newest
        return added

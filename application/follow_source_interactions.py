"""Keeps this process's seen index current (contract section 11): one step per call, which the
runtime makes every REC_SOURCE_TAIL_SECONDS.

Until a step has read the whole source, each step tries a full read of its interactions (the index
is then ready). Later steps read the interactions with `created_at >= watermark - overlap`: a row
committed a little after rows newer than it is still caught, and rows read twice are harmless.
Each step also reads the hot events stored since the previous one (every replica's): the first
holds those the source may still lack.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from application.ports import HotEventStore, InteractionTail, SeenIndex
from domain.errors import UnavailableError

log = logging.getLogger(__name__)

TAIL_OVERLAP = timedelta(seconds=10)


class FollowSourceInteractions:
    def __init__(
        self,
        source: InteractionTail,
        index: SeenIndex,
        events: HotEventStore | None = None,
        overlap: timedelta = TAIL_OVERLAP,
    ) -> None:
        self._source = source
        self._index = index
        self._events = events
        self._overlap = overlap
        self._hot_mark: datetime | None = None
        self._hot_read = False

    async def execute(self) -> int:
        """Pairs that joined the index; raise UnavailableError when the source cannot be read (the
        index keeps what it has and the next step resumes from its watermark)."""
        failure: UnavailableError | None = None
        try:
            added = await self._follow_source()
        except UnavailableError as exc:
            failure, added = exc, 0
        await self._follow_hot_events()
        if failure is not None:
            raise failure
        return added

    async def _follow_source(self) -> int:
        index = self._index
        mark = index.watermark
        if not index.ready or mark is None:
            added = await index.load(await self._source.seen_pairs(None), full=True)
            log.info("seen_index_built", extra={"pairs": added})
            return added
        return await index.load(await self._source.seen_pairs(mark - self._overlap))

    async def _follow_hot_events(self) -> None:
        if self._events is None:
            return
        since = None if not self._hot_read or self._hot_mark is None else self._hot_mark - self._overlap
        try:
            events = await self._events.events_since(since)
        except UnavailableError as exc:
            log.warning("seen_index_hot_events_unreadable", extra={"error": str(exc)})
            return
        self._hot_read = True
        for event in events:
            self._index.add(event.user_id, event.title_id)
            if self._hot_mark is None or event.created_at > self._hot_mark:
                self._hot_mark = event.created_at

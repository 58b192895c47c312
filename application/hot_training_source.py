"""The source as training reads it: the site's interactions plus the hot events it lacks.

A decorator of `InteractionSource`, so every training path (full, partial, tuning) gets the same data.
With `events_in_source` (REC_HOT_EVENTS_IN_SOURCE=true) the site also writes hot events into the
source: an event is taken to be there once the source holds anything as new as it. The source keeps
whole seconds, so an event is dropped when it falls in or before the second of the source's newest
`created_at` (a duplicate counted twice would bias the model; an event dropped early comes back with
the source). Without it every hot event is added.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from application.ports import Catalogue, HotEventStore, InteractionSource, TrainingData, TrainingDataMerger

log = logging.getLogger(__name__)


def reached_source_before(cutoff: datetime | None) -> datetime | None:
    """Hot events older than this are taken to be in the source already (None: none are)."""
    if cutoff is None:
        return None
    return cutoff.replace(microsecond=0) + timedelta(seconds=1)


class SourceWithHotEvents(InteractionSource):
    def __init__(
        self,
        source: InteractionSource,
        events: HotEventStore,
        merger: TrainingDataMerger,
        events_in_source: bool,
    ) -> None:
        self._source = source
        self._events = events
        self._merger = merger
        self._in_source = events_in_source

    async def load_training_data(self) -> TrainingData:
        data = await self._source.load_training_data()
        since = reached_source_before(data.cutoff) if self._in_source else None
        events = await self._events.events_since(since)
        if not events:
            return data
        log.info(
            "hot_events_added_to_training",
            extra={"events": len(events), "since": since and since.isoformat()},
        )
        return self._merger.with_events(data, events)

    async def load_catalogue(self) -> Catalogue:
        return await self._source.load_catalogue()

    async def seen_titles(self, user_id: int) -> frozenset[int]:
        return await self._source.seen_titles(user_id)

    async def ping(self) -> None:
        await self._source.ping()

    async def check_queries(self) -> bool:
        return await self._source.check_queries()

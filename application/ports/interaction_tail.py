"""The source's interactions as (user, title) pairs, all of them or those newer than a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from application.ports.seen_index import SeenPairs


class InteractionTail(Protocol):
    async def seen_pairs(self, since: datetime | None) -> SeenPairs:
        """Every interaction with `created_at >= since` (all when None), of any type or score, over
        the `interactions` query in use; raise SourceUnavailableError when the source cannot be read."""
        ...

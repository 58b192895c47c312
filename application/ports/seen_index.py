"""Every user's seen titles, kept in this process's memory (contract section 11)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol


class SeenPairs(Protocol):
    """(user, title) pairs read from the source, aligned, with the newest `created_at` among them."""

    @property
    def user_ids(self) -> Collection[int]: ...

    @property
    def title_ids(self) -> Collection[int]: ...

    @property
    def created_us(self) -> Collection[int]:
        """Each row's `created_at`, microseconds since the epoch (UTC)."""
        ...

    @property
    def newest(self) -> datetime | None: ...


class SeenIndex(Protocol):
    """Seen titles of every user; lookups are pure CPU (no I/O), cheap enough for every request."""

    @property
    def ready(self) -> bool:
        """Whether a full read of the source has been loaded (before that, lookups know nothing)."""
        ...

    @property
    def watermark(self) -> datetime | None:
        """The newest `created_at` loaded from the source (None before any)."""
        ...

    def seen(self, user_id: int) -> frozenset[int]: ...

    def recent(self, user_id: int) -> frozenset[int]:
        """Titles that joined the user's seen set lately: lists cached before may still hold them."""
        ...

    def add(self, user_id: int, title_id: int) -> None:
        """One pair seen now (a hot event, this process's or a published one)."""
        ...

    async def load(self, pairs: SeenPairs, *, full: bool = False) -> int:
        """Merge pairs read from the source (`full`: every interaction, which makes the index ready)
        and advance the watermark; return how many pairs were new. A full read's pairs created
        lately count as recent: a list cached before a restart may hold them."""
        ...

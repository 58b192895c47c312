"""The admin list of blacklisted titles."""

from __future__ import annotations

from typing import Protocol

from domain.blacklist import BlacklistEntry


class AdminBlacklistStore(Protocol):
    """The admin list of blacklisted titles (the source table is read through the catalogue)."""

    async def list_entries(self) -> tuple[BlacklistEntry, ...]: ...

    async def put(self, entry: BlacklistEntry) -> None:
        """Insert or replace the entry of `entry.title_id`."""
        ...

    async def remove(self, title_id: int) -> bool:
        """Delete the entry; return whether there was one."""
        ...

"""Titles that must never be shown, whoever asked for it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class BlacklistOrigin(StrEnum):
    ADMIN = "admin"
    SOURCE = "source"


@dataclass(frozen=True, slots=True)
class BlacklistEntry:
    title_id: int
    reason: str | None
    source: BlacklistOrigin


@dataclass(frozen=True, slots=True)
class Blacklist:
    """The source table's entries plus the admin list, as one read-only set."""

    entries: tuple[BlacklistEntry, ...] = ()

    @classmethod
    def combine(cls, *parts: Iterable[BlacklistEntry]) -> Blacklist:
        merged: dict[int, BlacklistEntry] = {}
        for part in parts:
            for entry in part:
                merged.setdefault(entry.title_id, entry)
        return cls(tuple(sorted(merged.values(), key=lambda e: e.title_id)))

    def title_ids(self) -> frozenset[int]:
        return frozenset(entry.title_id for entry in self.entries)

"""Details the operator looks up in the source: titles by id, one user's interactions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.interaction import Interaction


@dataclass(frozen=True, slots=True)
class TitleRecord:
    """One catalogue title as the source holds it (features summed by name, as training reads them)."""

    title_id: int
    name: str
    is_active: bool
    features: Mapping[str, float]


class SourceLookup(Protocol):
    """Point reads of the source for the admin views (never on a recommendation's path)."""

    async def titles(self, title_ids: Sequence[int]) -> list[TitleRecord]:
        """The titles of `title_ids` that the catalogue holds, in any order."""
        ...

    async def user_interactions(self, user_id: int, limit: int) -> list[Interaction]:
        """The user's newest `limit` source interactions, newest first."""
        ...

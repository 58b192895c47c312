"""Counts of served lists per serving context, summed over every replica (contract section 12)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from domain.online import ServingContext

ContextLists = Mapping[str, tuple[ServingContext, int]]
"""Context token -> (the context it names, lists served)."""


class OnlineCountStore(Protocol):
    async def add_lists(self, lists: ContextLists) -> None:
        """Add these lists to the stored counts (every replica adds its own; one transaction)."""
        ...

    async def lists(self) -> dict[str, tuple[ServingContext, int]]:
        """Every context ever counted, by token, with the lists served in it."""
        ...

    async def ping(self) -> None: ...

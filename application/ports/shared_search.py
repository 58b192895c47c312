"""A search that other processes join: `rec-service tune-worker` runs trials of the trainer's tuning."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from application.ports.interaction_source import TrainingData

KeepGoing = Callable[[], Awaitable[bool]]
"""Asked between epochs now and then: False (the job ended, the worker is stopping) ends the trial."""


class SharedSearch(Protocol):
    async def open_searches(self) -> list[str]:
        """Ids of the searches running now that take more trials (a tuning job's id each)."""
        ...

    async def join(self, search_id: str, data: TrainingData, keep_going: KeepGoing) -> int:
        """Run trials of the search on `data` (this process's read of the source) until it closes,
        its budget is spent or `keep_going` says no; return how many trials ran here (0 when the
        data differs from the trainer's, which the search checks)."""
        ...

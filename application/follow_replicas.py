"""What another replica announced, applied here (`BroadcastReceiver`).

An activation or a blacklist change is only a cue: this process reads the registry, as its poll does,
so a message says nothing the registry does not hold and a lost one costs at most the poll interval.
Cues that arrive while the previous one is being acted on are folded into one more read. A hot event
is applied as the receiving replica applied it: seen at once, then folded in, events in order of
arrival (one at a time, so two events of a new user never start from the same point). A job
stored or a cancel asked elsewhere wakes this process's job dispatcher, which acts only while this
process is the trainer (its poll is the fallback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from application.blacklist_admin import BlacklistAdmin
from application.follow_active_model import FollowActiveModel
from application.hot_effects import HotEventEffects
from application.ports import BroadcastReceiver
from domain.errors import RecommenderError
from domain.interaction import Interaction

log = logging.getLogger(__name__)

MAX_QUEUED_EVENTS = 10_000


class _Rerun:
    """Runs `work` now, or once more after the run in progress when asked meanwhile."""

    def __init__(self, name: str, work: Callable[[], Awaitable[object]]) -> None:
        self._name = name
        self._work = work
        self._again = False
        self._task: asyncio.Task[None] | None = None

    def request(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        self._again = True
        while self._again:
            self._again = False
            try:
                await self._work()
            except RecommenderError as exc:  # the poll tries again
                log.warning("broadcast_follow_failed", extra={"what": self._name, "error": str(exc)})


class FollowReplicas(BroadcastReceiver):
    def __init__(
        self,
        follow_model: FollowActiveModel,
        blacklist: BlacklistAdmin,
        effects: HotEventEffects,
        wake_jobs: Callable[[], None] | None = None,
    ) -> None:
        self._model = _Rerun("active_model", follow_model.execute)
        self._blacklist = _Rerun("blacklist", blacklist.load)
        self._effects = effects
        self._wake_jobs = wake_jobs
        self._events: asyncio.Queue[Interaction] | None = None
        self._folding: asyncio.Task[None] | None = None

    def model_activated(self, model_id: str) -> None:
        self._model.request()

    def blacklist_changed(self) -> None:
        self._blacklist.request()

    def hot_event(self, event: Interaction) -> None:
        self._effects.mark_seen(event.user_id, event.title_id)
        if self._events is None:
            self._events = asyncio.Queue(MAX_QUEUED_EVENTS)
            self._folding = asyncio.get_running_loop().create_task(self._fold_in(self._events))
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:  # seen all the same; the next training has the event
            log.warning("broadcast_fold_in_dropped", extra={"queued": MAX_QUEUED_EVENTS})

    def jobs_changed(self) -> None:
        if self._wake_jobs is not None:
            self._wake_jobs()

    def resubscribed(self) -> None:
        self._model.request()
        self._blacklist.request()

    async def _fold_in(self, events: asyncio.Queue[Interaction]) -> None:
        while True:
            event = await events.get()
            try:
                await self._effects.fold_in(event)  # logs its failures, never raises
            finally:
                events.task_done()

    async def drained(self) -> None:
        """Wait until every hot event received so far is folded in."""
        if self._events is not None:
            await self._events.join()

    async def close(self) -> None:
        if self._folding is not None:
            self._folding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._folding

"""Recommendation ids, and the online counts of what they name (contract section 12).

Each answered list gets an id made of its serving context's token (a hash of version, experiment
and arm: the same on every replica), this process's random prefix and a counter: unique, opaque and
made without a system call. Lists served are counted in memory per context and added to the
registry by `flush` (the runtime calls it every 2 s; a crash loses at most those seconds). A hot
event naming an id is stored with it (durable, as every hot event): events and clicked lists are
counted from the stored events, so they sum over replicas and survive restarts exactly.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator

from application.ports import HotEventStore, OnlineCountStore
from application.serving_state import ServingState
from domain.online import Attribution, OnlineCounts, ServingContext

TOKEN_CHARS = 12
MAX_ID_CHARS = 64
_WELL_FORMED = re.compile(r"[0-9a-f]{12}-[0-9a-f]{10}[0-9a-f]{1,16}")
_STORABLE = re.compile(r"[!-~]{1,64}")  # printable ASCII: safe in any column's character set


def context_token(context: ServingContext) -> str:
    text = "\x1f".join((context.model_id, context.experiment_id, context.arm))
    return hashlib.blake2b(text.encode(), digest_size=TOKEN_CHARS // 2).hexdigest()


class _Slot:
    __slots__ = ("context", "head", "lists", "token")

    def __init__(self, context: ServingContext, prefix: str) -> None:
        self.context = context
        self.token = context_token(context)
        self.head = f"{self.token}-{prefix}"  # what every id of this context starts with
        self.lists = 0


class ListTracker:
    def __init__(
        self, counts: OnlineCountStore, events: HotEventStore, state: ServingState, prefix: str
    ) -> None:
        if not re.fullmatch(r"[0-9a-f]{10}", prefix):
            raise ValueError("the recommendation id prefix is 10 lowercase hex digits")
        self._counts = counts
        self._events = events
        self._state = state
        self._prefix = prefix
        self._serials = itertools.count(1)
        self._plain: dict[str, _Slot] = {}  # by model id, outside experiments (a str's hash is cached)
        self._armed: dict[tuple[str, str, str], _Slot] = {}
        self._known: dict[str, ServingContext] = {}

    def served(self, model_id: str, experiment_id: str = "", arm: str = "") -> str:
        """Count one list answered in this context and return its recommendation id (hot path)."""
        slot = self._armed.get((model_id, experiment_id, arm)) if experiment_id else self._plain.get(model_id)
        if slot is None:
            slot = self._slot(ServingContext(model_id, experiment_id, arm))
        slot.lists += 1
        return slot.head + format(next(self._serials), "x")

    def _slots(self) -> list[_Slot]:
        return [*self._plain.values(), *self._armed.values()]

    def _slot(self, context: ServingContext) -> _Slot:
        slot = _Slot(context, self._prefix)
        if context.experiment_id:
            self._armed[(context.model_id, context.experiment_id, context.arm)] = slot
        else:
            self._plain[context.model_id] = slot
        self._known[slot.token] = context
        return slot

    def attribution(self, recommendation_id: str) -> Attribution:
        """What a hot event naming `recommendation_id` is attributed to (never raises)."""
        if not _STORABLE.fullmatch(recommendation_id):
            return Attribution("", None)  # malformed: kept as "an id was given", unattributed
        token = recommendation_id[:TOKEN_CHARS]
        if not _WELL_FORMED.fullmatch(recommendation_id):
            return Attribution(recommendation_id, None)
        if token not in self._known:
            self._learn_current()
        return Attribution(recommendation_id, token if token in self._known else None)

    def _learn_current(self) -> None:
        """The contexts this process could serve now (another replica may have served the list)."""
        for context in self._current():
            self._known.setdefault(context_token(context), context)

    def _current(self) -> Iterator[ServingContext]:
        state = self._state
        yield ServingContext(state.model_id or "")
        running = state.experiment
        if running is not None:
            for arm in running.arms:
                yield ServingContext(
                    arm.model.version.model_id, running.experiment.experiment_id, arm.arm.name
                )

    async def flush(self) -> None:
        """Add the lists counted since the last flush to the registry, and learn the contexts other
        replicas served; on failure the counts are kept for the next flush."""
        pending = {slot.token: (slot.context, slot.lists) for slot in self._slots() if slot.lists}
        for slot in self._slots():
            slot.lists = 0
        try:
            if pending:
                await self._counts.add_lists(pending)
            stored = await self._counts.lists()
        except BaseException:
            for context, lists in pending.values():
                self._slot_of(context).lists += lists
            raise
        for token, (context, _) in stored.items():
            self._known.setdefault(token, context)

    def _slot_of(self, context: ServingContext) -> _Slot:
        if context.experiment_id:
            found = self._armed.get((context.model_id, context.experiment_id, context.arm))
        else:
            found = self._plain.get(context.model_id)
        return found if found is not None else self._slot(context)

    async def counts(self) -> dict[ServingContext, OnlineCounts]:
        """Every context's counts: the registry's (every replica's flushed lists, every stored
        attributed event) plus this process's lists not flushed yet."""
        stored = await self._counts.lists()
        attributed = await self._events.attributed()
        contexts = {**self._known, **{token: context for token, (context, _) in stored.items()}}
        totals: dict[ServingContext, OnlineCounts] = {}
        for context, lists in stored.values():
            totals[context] = OnlineCounts(lists=lists)
        for slot in self._slots():
            if slot.lists:
                totals[slot.context] = totals.get(slot.context, OnlineCounts()) + OnlineCounts(slot.lists)
        for token, (events, clicked) in attributed.items():
            named = contexts.get(token)
            if named is not None:
                totals[named] = totals.get(named, OnlineCounts()) + OnlineCounts(0, clicked, events)
        return totals

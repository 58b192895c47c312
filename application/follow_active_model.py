"""Replicas serve whichever version the shared registry marks active (polled, and on a broadcast)."""

from __future__ import annotations

import asyncio
import logging

from application.activate_model import ActivateModel
from application.ports import ModelRegistry
from application.serving_state import ServingState
from domain.errors import RecommenderError

log = logging.getLogger(__name__)


class FollowActiveModel:
    def __init__(self, registry: ModelRegistry, state: ServingState, activator: ActivateModel) -> None:
        self._registry = registry
        self._state = state
        self._activator = activator
        # The poll and a broadcast may ask at once: one at a time, each reading the registry when its
        # turn comes, so an older answer never finishes loading after a newer one.
        self._turn = asyncio.Lock()

    async def execute(self) -> bool:
        """Load the registry's active version if this process serves another; True when it switched."""
        async with self._turn:
            wanted = await self._registry.active_model_id()
            if wanted is None or wanted == self._state.model_id:
                return False
            try:
                await self._activator.load(wanted)
            except RecommenderError as exc:
                log.error("follow_active_failed", extra={"model_id": wanted, "error": str(exc)})
                return False
        log.info("followed_active_model", extra={"model_id": wanted})
        return True

"""Component health for /health and the gRPC health service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from application.ports import ComponentHealth, HealthReport
from application.serving_state import ServingState

PING_TIMEOUT_SECONDS = 2.0

Probe = Callable[[], Awaitable[None]]


class CheckHealth:
    def __init__(self, state: ServingState, probes: Mapping[str, Probe]) -> None:
        self._state = state
        self._probes = dict(probes)

    async def execute(self) -> HealthReport:
        names = list(self._probes)
        results = await asyncio.gather(*(self._probe(self._probes[name]) for name in names))
        components = dict(zip(names, results, strict=True))
        healthy = all(c.status == "ok" for c in components.values()) and self._state.model is not None
        return HealthReport("ok" if healthy else "degraded", self._state.model_id, components)

    def ready(self) -> bool:
        """Requests can be answered: a model, or at least the popular list, is loaded."""
        return self._state.model is not None or self._state.catalogue_loaded

    @staticmethod
    async def _probe(probe: Probe) -> ComponentHealth:
        try:
            await asyncio.wait_for(probe(), PING_TIMEOUT_SECONDS)
        except TimeoutError:
            return ComponentHealth("down", f"no answer within {PING_TIMEOUT_SECONDS:.0f} s")
        except Exception as exc:  # any failure of a probe means "down", never an error
            return ComponentHealth("down", str(exc) or type(exc).__name__)
        return ComponentHealth("ok")

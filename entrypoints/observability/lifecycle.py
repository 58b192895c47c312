"""Start and stop what observability needs in a process: scrape-time gauges, the metrics port."""

from __future__ import annotations

import structlog

from application.check_health import CheckHealth
from application.serving_state import ServingState
from application.trainer_election import TrainerElection
from entrypoints.observability.exposition import MetricsPortServer, Observability
from entrypoints.settings import Settings

log = structlog.get_logger(__name__)


class ObservabilityLifecycle:
    def __init__(
        self,
        observability: Observability,
        state: ServingState,
        check_health: CheckHealth,
        settings: Settings,
        election: TrainerElection | None = None,
    ) -> None:
        self._election = election
        self._o = observability
        self._state = state
        self._check_health = check_health
        self._settings = settings
        self.metrics_server: MetricsPortServer | None = None

    async def start(self) -> None:
        settings = self._settings
        election = self._election
        self._o.watch(self._state, self._check_health, leader=lambda: bool(election and election.holds_lease))
        if settings.metrics and settings.metrics_port:
            self.metrics_server = MetricsPortServer(self._o, settings.http_host, settings.metrics_port)
            try:
                await self.metrics_server.start()
            except OSError as exc:
                log.error("metrics_port_unavailable", variable="REC_METRICS_PORT", error=str(exc))
                raise
            log.info("metrics_served", port=self.metrics_server.port)

    async def stop(self) -> None:
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        self._o.shutdown()

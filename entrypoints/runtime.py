"""Start and stop the service's shared parts, whichever transports run in the process."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from application.train_model import TrainCommand
from domain.errors import RecommenderError
from domain.training_job import JobTrigger
from entrypoints.container import Container

log = structlog.get_logger(__name__)

CATALOGUE_REFRESH_SECONDS = 300.0
CATALOGUE_RETRY_SECONDS = 10.0
SHUTDOWN_TRAINING_WAIT_SECONDS = 10.0


class ServiceRuntime:
    def __init__(self, container: Container) -> None:
        self._c = container
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self._c.settings()
        if not settings.admin_token:
            log.warning("admin_token_unset", detail="admin routes are served to loopback clients only")
        await self._c.registry().create_schema()
        await self._c.activate_model().restore()
        await self._refresh_once()
        self._tasks.append(asyncio.create_task(self._refresh_loop()))
        if self._c.state().model is None and settings.train_cron != "off":
            await self._train_at_startup()

    async def _train_at_startup(self) -> None:
        try:
            job = await self._c.train_model().submit(TrainCommand(trigger=JobTrigger.STARTUP))
        except RecommenderError as exc:
            log.warning("startup_training_not_started", error=str(exc))
            return
        log.info("startup_training_submitted", job_id=job.job_id)

    async def _refresh_once(self) -> bool:
        try:
            await self._c.refresh_catalogue().execute()
        except RecommenderError as exc:
            log.warning("catalogue_refresh_failed", error=str(exc))
            return False
        return True

    async def _refresh_loop(self) -> None:
        while True:
            loaded = self._c.state().catalogue_loaded
            await asyncio.sleep(CATALOGUE_REFRESH_SECONDS if loaded else CATALOGUE_RETRY_SECONDS)
            await self._refresh_once()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        guard = self._c.guard()
        running = guard.running_job_id
        if running:
            guard.request_cancel(running)
            await self._c.train_model().drain(SHUTDOWN_TRAINING_WAIT_SECONDS)
        await self._c.source().close()
        await self._c.registry().close()

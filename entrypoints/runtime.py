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
FOLLOW_SECONDS = 2.0  # replicas switch within 5 s of an activation elsewhere
BLACKLIST_POLL_SECONDS = 5.0  # replicas apply an admin blacklist change made elsewhere within 5 s


class ServiceRuntime:
    def __init__(self, container: Container) -> None:
        self._c = container
        self._tasks: list[asyncio.Task[None]] = []
        self._scheduler_started = False

    async def start(self) -> None:
        settings = self._c.settings()
        if not settings.admin_token:
            log.warning("admin_token_unset", detail="admin routes are served to loopback clients only")
        await self._c.registry().create_schema()
        await self._check_source_queries()
        await self._start_events_and_blacklist()
        await self._c.activate_model().restore()
        await self._refresh_once()
        self._tasks.append(asyncio.create_task(self._refresh_loop()))
        self._tasks.append(asyncio.create_task(self._follow_loop()))
        if settings.seen_from == "memory":
            self._tasks.append(asyncio.create_task(self._tail_loop(settings.source_tail_seconds)))
        if settings.train_cron == "off":
            log.info("training_process_off", detail="REC_TRAIN_CRON=off: this process follows the registry")
            return
        # The one training process: recover jobs, rebuild the schedule, train a first model if needed.
        scheduled = await self._c.recover_jobs().execute()
        scheduler = self._c.scheduler()
        self._c.train_model().attach_scheduler(scheduler)
        scheduler.start(scheduled)
        self._scheduler_started = True
        if self._c.state().model is None:
            await self._train_at_startup()

    async def _check_source_queries(self) -> None:
        """A source query that fails or lacks a documented column stops the service (contract 3)."""
        check = getattr(self._c.source(), "check_queries", None)
        if check is None:  # a stand-in source (tests) has no SQL to check
            return
        try:
            checked = await check()
        except RecommenderError as exc:
            log.error("source_queries_invalid", error=str(exc))
            raise
        if not checked:
            log.warning("source_unreachable_at_start", detail="queries not checked; serving goes on")

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
            await self._c.add_new_titles().execute()  # titles newer than the model join its lists
        except RecommenderError as exc:
            log.warning("catalogue_refresh_failed", error=str(exc))
            return False
        return True

    async def _refresh_loop(self) -> None:
        while True:
            loaded = self._c.state().catalogue_loaded
            await asyncio.sleep(CATALOGUE_REFRESH_SECONDS if loaded else CATALOGUE_RETRY_SECONDS)
            await self._refresh_once()

    async def _start_events_and_blacklist(self) -> None:
        await self._c.hot_events().create_schema()
        await self._c.admin_blacklist_store().create_schema()
        await self._c.blacklist_admin().load()
        self._tasks.append(asyncio.create_task(self._blacklist_loop()))

    async def _blacklist_loop(self) -> None:
        admin = self._c.blacklist_admin()
        while True:
            await asyncio.sleep(BLACKLIST_POLL_SECONDS)
            try:
                await admin.load()
            except RecommenderError as exc:
                log.warning("admin_blacklist_reload_failed", error=str(exc))

    async def _follow_loop(self) -> None:
        follow = self._c.follow_active_model()
        while True:
            await asyncio.sleep(FOLLOW_SECONDS)
            try:
                await follow.execute()
            except RecommenderError as exc:
                log.warning("follow_active_failed", error=str(exc))

    async def _tail_loop(self, seconds: float) -> None:
        """The seen index: built by the first step that reads the source, then kept current."""
        tail = self._c.follow_source_interactions()
        while True:
            try:
                await tail.execute()
            except RecommenderError as exc:
                log.warning("source_tail_failed", error=str(exc))
            await asyncio.sleep(seconds)

    async def stop(self) -> None:
        if self._scheduler_started:
            self._c.scheduler().shutdown()
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
        await self._c.hot_events().close()
        await self._c.admin_blacklist_store().close()
        await self._c.source().close()
        close_cache = getattr(self._c.cache(), "close", None)
        if close_cache is not None:
            await close_cache()
        await self._c.registry().close()

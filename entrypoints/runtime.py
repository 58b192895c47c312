"""Start and stop the service's shared parts, whichever transports run in the process.

The runtime is handed the parts it starts and stops (built by the container), not the container."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from application.add_new_titles import AddNewTitles
from application.blacklist_admin import BlacklistAdmin
from application.follow_active_model import FollowActiveModel
from application.follow_source_interactions import FollowSourceInteractions
from application.job_runner import JobRunner
from application.recover_jobs import RecoverJobs
from application.refresh_catalogue import RefreshCatalogue
from application.serving_state import ServingState
from application.train_model import TrainCommand, TrainModel
from domain.errors import RecommenderError
from domain.training_job import JobTrigger
from entrypoints.observability.lifecycle import ObservabilityLifecycle
from entrypoints.scheduler import ApschedulerJobScheduler

log = structlog.get_logger(__name__)

CATALOGUE_REFRESH_SECONDS = 300.0
CATALOGUE_RETRY_SECONDS = 10.0
SHUTDOWN_TRAINING_WAIT_SECONDS = 10.0
FOLLOW_SECONDS = 2.0  # replicas switch within 5 s of an activation elsewhere
BLACKLIST_POLL_SECONDS = 5.0  # replicas apply an admin blacklist change made elsewhere within 5 s
COUNTS_FLUSH_SECONDS = 2.0  # online counts reach the registry within 5 s (contract section 12)

Step = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Serving:
    """What every process starts and stops, in the order given."""

    create_schemas: Sequence[Step]
    check_source_queries: Callable[[], Awaitable[bool]]
    restore_model: Step
    refresh_catalogue: RefreshCatalogue
    add_new_titles: AddNewTitles
    blacklist_admin: BlacklistAdmin
    follow_active_model: FollowActiveModel
    follow_experiment: Step
    """Serve the registry's running experiment (at start, then polled)."""
    flush_counts: Step
    """Add the lists served since the last flush to the registry (every COUNTS_FLUSH_SECONDS)."""
    state: ServingState
    close: Sequence[Step]
    observability: ObservabilityLifecycle | None = None
    """Scrape-time gauges and the metrics port."""
    follow_source: FollowSourceInteractions | None = None
    """The seen index's tail (REC_SEEN_FROM=memory), else None."""
    tail_seconds: float = 2.0
    refresh_features: Step | None = None
    """Reads the source's features into memory (REC_SEEN_FROM=memory) with each catalogue refresh."""


@dataclass(frozen=True, slots=True)
class Jobs:
    """Training jobs: any process may run a manual one; only the training process schedules."""

    runner: JobRunner
    recover_jobs: RecoverJobs
    scheduler: ApschedulerJobScheduler
    train_model: TrainModel
    schedules: bool
    """False with REC_TRAIN_CRON=off: this process follows the registry and schedules nothing."""


class ServiceRuntime:
    def __init__(self, serving: Serving, jobs: Jobs, *, admin_token_set: bool) -> None:
        self._s = serving
        self._jobs = jobs
        self._admin_token_set = admin_token_set
        self._tasks: list[asyncio.Task[None]] = []
        self._scheduler_started = False

    async def start(self) -> None:
        if not self._admin_token_set:
            log.warning("admin_token_unset", detail="admin routes are served to loopback clients only")
        if self._s.observability is not None:
            await self._s.observability.start()
        for create_schema in self._s.create_schemas:
            await create_schema()
        await self._check_source_queries()
        await self._s.blacklist_admin.load()
        self._tasks.append(asyncio.create_task(self._blacklist_loop()))
        await self._s.restore_model()
        await self._follow_experiment()
        await self._refresh_once()
        self._tasks.append(asyncio.create_task(self._refresh_loop()))
        self._tasks.append(asyncio.create_task(self._follow_loop()))
        self._tasks.append(asyncio.create_task(self._counts_loop()))
        if self._s.follow_source is not None:
            self._tasks.append(
                asyncio.create_task(self._tail_loop(self._s.follow_source, self._s.tail_seconds))
            )
        if not self._jobs.schedules:
            log.info("training_process_off", detail="REC_TRAIN_CRON=off: this process follows the registry")
            return
        # The one training process: recover jobs, rebuild the schedule, train a first model if needed.
        scheduled = await self._jobs.recover_jobs.execute()
        self._jobs.scheduler.start(scheduled)
        self._scheduler_started = True
        if self._s.state.model is None:
            await self._train_at_startup()

    async def _check_source_queries(self) -> None:
        """A source query that fails or lacks a documented column stops the service (contract 3)."""
        try:
            checked = await self._s.check_source_queries()
        except RecommenderError as exc:
            log.error("source_queries_invalid", error=str(exc))
            raise
        if not checked:
            log.warning("source_unreachable_at_start", detail="queries not checked; serving goes on")

    async def _train_at_startup(self) -> None:
        try:
            job = await self._jobs.train_model.submit(TrainCommand(trigger=JobTrigger.STARTUP))
        except RecommenderError as exc:
            log.warning("startup_training_not_started", error=str(exc))
            return
        log.info("startup_training_submitted", job_id=job.job_id)

    async def _refresh_once(self) -> bool:
        if self._s.refresh_features is not None:
            try:
                await self._s.refresh_features()
            except RecommenderError as exc:
                log.warning("features_refresh_failed", error=str(exc))
        try:
            await self._s.refresh_catalogue.execute()
            await self._s.add_new_titles.execute()  # titles newer than the model join its lists
        except RecommenderError as exc:
            log.warning("catalogue_refresh_failed", error=str(exc))
            return False
        return True

    async def _refresh_loop(self) -> None:
        while True:
            loaded = self._s.state.catalogue_loaded
            await asyncio.sleep(CATALOGUE_REFRESH_SECONDS if loaded else CATALOGUE_RETRY_SECONDS)
            await self._refresh_once()

    async def _blacklist_loop(self) -> None:
        while True:
            await asyncio.sleep(BLACKLIST_POLL_SECONDS)
            try:
                await self._s.blacklist_admin.load()
            except RecommenderError as exc:
                log.warning("admin_blacklist_reload_failed", error=str(exc))

    async def _follow_loop(self) -> None:
        while True:
            await asyncio.sleep(FOLLOW_SECONDS)
            try:
                await self._s.follow_active_model.execute()
            except RecommenderError as exc:
                log.warning("follow_active_failed", error=str(exc))
            await self._follow_experiment()

    async def _follow_experiment(self) -> None:
        try:
            await self._s.follow_experiment()
        except RecommenderError as exc:
            log.warning("follow_experiment_failed", error=str(exc))

    async def _counts_loop(self) -> None:
        while True:
            await asyncio.sleep(COUNTS_FLUSH_SECONDS)
            await self._flush_counts()

    async def _flush_counts(self) -> None:
        try:
            await self._s.flush_counts()
        except RecommenderError as exc:  # kept in memory for the next flush
            log.warning("online_counts_flush_failed", error=str(exc))

    async def _tail_loop(self, tail: FollowSourceInteractions, seconds: float) -> None:
        """The seen index: built by the first step that reads the source, then kept current."""
        while True:
            try:
                await tail.execute()
            except RecommenderError as exc:
                log.warning("source_tail_failed", error=str(exc))
            await asyncio.sleep(seconds)

    async def stop(self) -> None:
        if self._scheduler_started:
            self._jobs.scheduler.shutdown()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._jobs.runner.drain(SHUTDOWN_TRAINING_WAIT_SECONDS)
        await self._flush_counts()  # the lists served since the last flush survive a restart
        for close in self._s.close:
            await close()
        if self._s.observability is not None:
            await self._s.observability.stop()

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
from application.follow_replicas import FollowReplicas
from application.follow_source_interactions import FollowSourceInteractions
from application.job_runner import JobRunner
from application.ports import NO_BROADCAST, ReplicaBroadcast
from application.refresh_catalogue import RefreshCatalogue
from application.serving_state import ServingState
from domain.errors import RecommenderError
from entrypoints.observability.lifecycle import ObservabilityLifecycle
from entrypoints.trainer_role import TrainerRole

log = structlog.get_logger(__name__)

CATALOGUE_REFRESH_SECONDS = 300.0
CATALOGUE_RETRY_SECONDS = 10.0
SHUTDOWN_TRAINING_WAIT_SECONDS = 10.0
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
    broadcast: ReplicaBroadcast = NO_BROADCAST
    """Announcements to and from the other replicas (Redis), beside the registry poll."""
    follow_replicas: FollowReplicas | None = None
    poll_seconds: float = 2.0
    """How often the active version and the admin blacklist are read from the registry."""
    refresh_features: Step | None = None
    """Reads the source's features into memory (REC_SEEN_FROM=memory) with each catalogue refresh."""


@dataclass(frozen=True, slots=True)
class Jobs:
    """Training jobs: run by the trainer, the candidate holding the lease (contract section 10)."""

    runner: JobRunner
    trainer: TrainerRole


class ServiceRuntime:
    def __init__(self, serving: Serving, jobs: Jobs, *, admin_token_set: bool) -> None:
        self._s = serving
        self._jobs = jobs
        self._admin_token_set = admin_token_set
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if not self._admin_token_set:
            log.warning("admin_token_unset", detail="admin routes are served to loopback clients only")
        if self._s.observability is not None:
            await self._s.observability.start()
        for create_schema in self._s.create_schemas:
            await create_schema()
        await self._check_source_queries()
        if self._s.follow_replicas is not None:  # before the first reads: nothing said meanwhile is lost
            self._s.broadcast.listen(self._s.follow_replicas)
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
        await self._jobs.trainer.start()

    async def _check_source_queries(self) -> None:
        """A source query that fails or lacks a documented column stops the service (contract 3)."""
        try:
            checked = await self._s.check_source_queries()
        except RecommenderError as exc:
            log.error("source_queries_invalid", error=str(exc))
            raise
        if not checked:
            log.warning("source_unreachable_at_start", detail="queries not checked; serving goes on")

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
            await asyncio.sleep(self._s.poll_seconds)
            try:
                await self._s.blacklist_admin.load()
            except RecommenderError as exc:
                log.warning("admin_blacklist_reload_failed", error=str(exc))

    async def _follow_loop(self) -> None:
        while True:
            await asyncio.sleep(self._s.poll_seconds)
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
        await self._jobs.trainer.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._jobs.runner.drain(SHUTDOWN_TRAINING_WAIT_SECONDS)
        await self._flush_counts()  # the lists served since the last flush survive a restart
        await self._jobs.trainer.release()  # after the drain, which records the job's end fenced
        await self._s.broadcast.close()
        if self._s.follow_replicas is not None:
            await self._s.follow_replicas.close()
        for close in self._s.close:
            await close()
        if self._s.observability is not None:
            await self._s.observability.stop()

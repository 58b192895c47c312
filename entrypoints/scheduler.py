"""APScheduler 3 with an in-memory job store, rebuilt from the registry's job table at start."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, tzinfo

import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from domain.training_job import TrainingJob

log = structlog.get_logger(__name__)

DAILY_ID = "daily-training"

RunJob = Callable[[str], Awaitable[object]]
"""Runs the stored scheduled job of that id (the use case `RunScheduledJob.execute`)."""
RunDaily = Callable[[], Awaitable[object]]


class ApschedulerJobScheduler:
    """Implements the `JobScheduler` port; the registry stays the truth, this only wakes jobs up."""

    def __init__(self, run_job: RunJob, run_daily: RunDaily, cron: str, timezone: tzinfo) -> None:
        self._run_job = run_job
        self._run_daily = run_daily
        self._cron = cron
        self._timezone = timezone
        # misfire_grace_time=None: a job whose time passed while the service was down runs at start.
        self._scheduler = AsyncIOScheduler(
            timezone=timezone,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    def start(self, scheduled: Iterable[TrainingJob]) -> None:
        self._scheduler.start()
        for job in scheduled:
            self.schedule(job.job_id, job.scheduled_at or job.created_at)
        if self._cron != "off":
            trigger = CronTrigger.from_crontab(self._cron, timezone=self._timezone)
            self._scheduler.add_job(self._run_daily, trigger, id=DAILY_ID, replace_existing=True)
            log.info(
                "daily_training_scheduled",
                cron=self._cron,
                timezone=str(self._timezone),
                next_run=str(self._scheduler.get_job(DAILY_ID).next_run_time),
            )

    def schedule(self, job_id: str, run_at: datetime) -> None:
        self._scheduler.add_job(
            self._run_job, DateTrigger(run_at), args=[job_id], id=job_id, replace_existing=True
        )
        log.info("training_scheduled", job_id=job_id, run_at=run_at.isoformat())

    def unschedule(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(job_id)

    def next_daily_run(self) -> datetime | None:
        job = self._scheduler.get_job(DAILY_ID)
        return None if job is None else job.next_run_time

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

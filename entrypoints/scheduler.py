"""The daily training (REC_TRAIN_CRON) on APScheduler 3 with an in-memory job store, run by the
trainer only: started when this process takes the trainer lease, shut down when it loses it.

One-off schedules are rows of the registry's job table, found at their time by the trainer's
dispatcher (`application/job_dispatcher.py`), whichever replica stored them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

log = structlog.get_logger(__name__)

DAILY_ID = "daily-training"

RunDaily = Callable[[], Awaitable[object]]
"""Creates and runs the daily job (the use case `RunDailyTraining.execute`)."""


class DailyCron:
    def __init__(self, run_daily: RunDaily, cron: str, timezone: tzinfo) -> None:
        self._run_daily = run_daily
        self._cron = cron
        self._timezone = timezone
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        if self._cron == "off" or self._scheduler is not None:
            return
        # misfire_grace_time=None: a run whose time passed while the loop was busy still happens.
        self._scheduler = AsyncIOScheduler(
            timezone=self._timezone,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._scheduler.start()
        trigger = CronTrigger.from_crontab(self._cron, timezone=self._timezone)
        self._scheduler.add_job(self._run_daily, trigger, id=DAILY_ID, replace_existing=True)
        log.info(
            "daily_training_scheduled",
            cron=self._cron,
            timezone=str(self._timezone),
            next_run=str(self.next_daily_run()),
        )

    def next_daily_run(self) -> datetime | None:
        job = None if self._scheduler is None else self._scheduler.get_job(DAILY_ID)
        return None if job is None else job.next_run_time

    def shutdown(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

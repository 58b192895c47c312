"""`/admin/schedule-training`: reading `scheduled_at` and storing the scheduled job."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Annotated

from litestar.params import QueryParameter

from application.schedule_training import ScheduleTraining
from domain.errors import InvalidArgumentError
from domain.training_job import JobTrigger
from entrypoints.http.schemas import ScheduledBody, iso
from entrypoints.http.train_options import TrainOptions

SCHEDULE_DOC = (
    "201 with the scheduled job. A naive scheduled_at is read in REC_TIMEZONE; past or unparsable: 400. "
    "Scheduled jobs follow REC_AUTO_ACTIVATE unless activate is given. Always stored; run once, at its "
    "time, by whichever replica then holds the trainer lease."
)
When = Annotated[str, QueryParameter(description="ISO 8601 time, e.g. 2026-11-28T03:00:00+00:00")]


def parse_scheduled_at(value: str, zone: tzinfo) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgumentError(
            f"scheduled_at must be an ISO 8601 time such as 2026-11-28T03:00:00+00:00, got {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # the calendar's ends: 9999-12-31T23:59:59-12:00 is past year 9999 in UTC
        raise InvalidArgumentError(
            f"scheduled_at is outside the years 1..9999 in UTC, got {value!r}"
        ) from None


async def schedule(
    schedule: ScheduleTraining, options: TrainOptions, when: str, zone: tzinfo
) -> ScheduledBody:
    run_at = parse_scheduled_at(when, zone)
    command, _ = options.command(JobTrigger.SCHEDULED)
    job = await schedule.execute(command, run_at)
    return ScheduledBody(job.job_id, iso(job.scheduled_at) or "", job.status.value)

"""The job store in any SQLAlchemy database: jobs, their compare-and-set changes, the trainer's queue."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.registry.fencing import hold_fence, lease_is_live, lock_lease_row
from adapters.registry.rows import job_to_row, row_to_job, to_stamp
from adapters.registry.tables import jobs
from adapters.registry.upsert import upsert
from adapters.sql.engines import registry_connection
from application.ports import JobStore
from domain.errors import NoTrainerError, TrainingAlreadyRunningError
from domain.training_job import JobStatus, JobTrigger, TrainingJob

_IMMEDIATE = [JobTrigger.MANUAL.value, JobTrigger.TUNE.value, JobTrigger.STARTUP.value]
_SCHEDULED = jobs.c.status == JobStatus.SCHEDULED.value
_BUSY = or_(jobs.c.status == JobStatus.RUNNING.value, and_(_SCHEDULED, jobs.c.trigger.in_(_IMMEDIATE)))
NO_TRAINER = (
    "no live trainer holds the lease, so the training cannot start now: start a process with "
    "REC_TRAIN_CRON other than off (or wait for a candidate to take over), or schedule it"
)


class SqlAlchemyJobStore(JobStore):
    """`JobStore` over one async engine; every write is one transaction."""

    _engine: AsyncEngine

    async def save_job(self, job: TrainingJob, fence: int | None = None) -> None:
        async with self._jobs_connection(write=True) as conn:
            await hold_fence(conn, fence)
            await upsert(conn, jobs, job_to_row(job), "job_id")

    async def get_job(self, job_id: str) -> TrainingJob | None:
        async with self._jobs_connection() as conn:
            row = (await conn.execute(select(jobs).where(jobs.c.job_id == job_id))).mappings().first()
        return None if row is None else row_to_job(row)

    async def list_jobs(self) -> list[TrainingJob]:
        query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.job_id.desc())
        async with self._jobs_connection() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [row_to_job(row) for row in rows]

    async def replace_job(self, job: TrainingJob, expected: JobStatus, fence: int | None = None) -> bool:
        row = job_to_row(job)
        del row["job_id"]
        where = and_(jobs.c.job_id == job.job_id, jobs.c.status == expected.value)
        async with self._jobs_connection(write=True) as conn:
            await hold_fence(conn, fence)
            result = await conn.execute(update(jobs).where(where).values(**row))
        return bool(result.rowcount == 1)

    async def due_jobs(self, now: datetime) -> list[TrainingJob]:
        due = and_(_SCHEDULED, or_(jobs.c.scheduled_at.is_(None), jobs.c.scheduled_at <= to_stamp(now)))
        order = (func.coalesce(jobs.c.scheduled_at, jobs.c.created_at), jobs.c.job_id)
        async with self._jobs_connection() as conn:
            rows = (await conn.execute(select(jobs).where(due).order_by(*order))).mappings().all()
        return [row_to_job(row) for row in rows]

    async def submit_job(self, job: TrainingJob, now: datetime) -> None:
        async with self._jobs_connection(write=True) as conn:
            await lock_lease_row(conn)  # submitters and trainers take turns from here to the commit
            busy = (await conn.execute(select(jobs.c.job_id).where(_BUSY).limit(1))).scalar_one_or_none()
            if busy is not None:
                raise TrainingAlreadyRunningError(str(busy))
            if not await lease_is_live(conn, now):
                raise NoTrainerError(NO_TRAINER)
            await conn.execute(jobs.insert().values(**job_to_row(job)))

    async def request_cancel(self, job_id: str) -> None:
        async with self._jobs_connection(write=True) as conn:
            await conn.execute(update(jobs).where(jobs.c.job_id == job_id).values(cancel_requested=True))

    async def cancel_requested(self, job_id: str) -> bool:
        query = select(jobs.c.cancel_requested).where(jobs.c.job_id == job_id)
        async with self._jobs_connection() as conn:
            return bool((await conn.execute(query)).scalar_one_or_none())

    def _jobs_connection(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return registry_connection(self._engine, "the job store cannot be used", write)

"""`rec-service tune-worker`: run trials of the tuning jobs that the trainer is running.

The job in the registry is the truth: a worker joins only a search whose job is `running`, and
stops its trial soon after the job ends (cancelled, failed, or finished by the trainer). The
trainer still confirms the best trials, trains the best and registers it.
"""

from __future__ import annotations

import logging

from application.ports import InteractionSource, JobStore, SharedSearch
from domain.training_job import JobStatus

log = logging.getLogger(__name__)


class JoinTuning:
    def __init__(self, search: SharedSearch, jobs: JobStore, source: InteractionSource) -> None:
        self._search = search
        self._jobs = jobs
        self._source = source
        self._done: set[str] = set()  # joined or declined already: the source is not read again for it

    async def execute(self) -> int:
        """Join one running search, until it ends; return how many trials ran here (0: none open)."""
        for search_id in await self._search.open_searches():
            if search_id in self._done or not await self._running(search_id):
                continue
            self._done.add(search_id)
            data = await self._source.load_training_data()
            log.info("tune_worker_joining", extra={"job_id": search_id})

            async def keep_going(job_id: str = search_id) -> bool:
                return await self._running(job_id)

            return await self._search.join(search_id, data, keep_going)
        return 0

    async def _running(self, job_id: str) -> bool:
        job = await self._jobs.get_job(job_id)
        return job is not None and job.status is JobStatus.RUNNING

"""One training at a time, and a cancellation flag the epoch callback checks."""

from __future__ import annotations

import asyncio

from domain.errors import JobCancelledError, RecommenderError, TrainingAlreadyRunningError


class TrainingGuard:
    def __init__(self) -> None:
        self._running: str | None = None
        self._cancel_requested = False
        self._stop_error: RecommenderError | None = None
        self._released = asyncio.Event()
        self._released.set()

    @property
    def running_job_id(self) -> str | None:
        return self._running

    def acquire(self, job_id: str) -> None:
        if self._running is not None:
            raise TrainingAlreadyRunningError(self._running)
        self._running = job_id
        self._cancel_requested = False
        self._stop_error = None
        self._released.clear()

    async def acquire_when_free(self, job_id: str) -> None:
        """Wait for the running training (scheduled and daily jobs queue instead of failing)."""
        while self._running is not None:
            await self._released.wait()
        self.acquire(job_id)

    async def wait_released(self, wait_seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._released.wait(), wait_seconds)
        except TimeoutError:
            return False
        return True

    def release(self, job_id: str) -> None:
        if self._running == job_id:
            self._running = None
            self._cancel_requested = False
            self._released.set()

    def request_cancel(self, job_id: str, error: RecommenderError | None = None) -> bool:
        """Ask the running job to stop after its current step, ending with `error` (a cancel by
        default; a lost lease fails it)."""
        if self._running != job_id:
            return False
        self._cancel_requested = True
        if self._stop_error is None or error is not None:
            self._stop_error = error
        return True

    def cancel_requested(self, job_id: str) -> bool:
        return self._running == job_id and self._cancel_requested

    def stop_error(self, job_id: str) -> RecommenderError:
        """What the job raises once it was asked to stop."""
        return self._stop_error or JobCancelledError(f"job {job_id} was cancelled")

"""Which process is the trainer (contract section 10): candidates take the lease, the holder renews it.

`step()` is called periodically (`interval()` apart) by the runtime and says what changed. A holder
renews every third of the lease; it counts itself the trainer only until `seconds` after its last
renewal began (on its own monotonic clock), so when renewals fail it stops before a candidate can
take over. A candidate polls once a second (a read while the lease is live), so a dead trainer is
replaced at most about a second after its lease expires.

Without a lease port the process is alone with its registry (the CLI's `train`, tests): always the
trainer, its jobs unfenced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import Enum

from application.ports import Clock, TrainerLease
from domain.errors import LeaseLostError, RegistryUnavailableError
from domain.trainer_lease import Lease

log = logging.getLogger(__name__)

CANDIDATE_POLL_SECONDS = 1.0


class Change(Enum):
    GAINED = "gained"
    LOST = "lost"


class TrainerElection:
    def __init__(
        self,
        lease: TrainerLease | None,
        clock: Clock,
        holder: str,
        seconds: float,
        candidate: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lease = lease
        self._clock = clock
        self.holder = holder
        self._seconds = seconds
        self.candidate = candidate
        self._monotonic = monotonic
        self._held: Lease | None = None
        self._valid_until = 0.0
        self._sole_started = False

    @property
    def sole(self) -> bool:
        """No lease: a process alone with its registry."""
        return self._lease is None

    @property
    def holds_lease(self) -> bool:
        """The real lease state (the `rec_trainer_leader` gauge)."""
        return self._held is not None and self._monotonic() < self._valid_until

    @property
    def is_trainer(self) -> bool:
        return self.sole or self.holds_lease

    def job_fence(self) -> int | None:
        """The fencing token a job starting now carries; LeaseLostError when this is not the trainer."""
        if self.sole:
            return None
        if self._held is None or not self.holds_lease:
            raise LeaseLostError("this process is not the trainer (it holds no lease)")
        return self._held.epoch

    def interval(self) -> float:
        if self._held is not None:
            return self._seconds / 3
        return min(CANDIDATE_POLL_SECONDS, self._seconds / 3)

    async def step(self) -> Change | None:
        if not self.candidate:
            return None
        if self._lease is None:
            if self._sole_started:
                return None
            self._sole_started = True
            return Change.GAINED
        if self._held is None:
            return await self._try_acquire(self._lease)
        return await self._renew(self._lease, self._held)

    async def release(self) -> None:
        """At shutdown: give the term up so a candidate takes over at once."""
        held, self._held = self._held, None
        if held is None or self._lease is None:
            return
        try:
            await self._lease.release(held)
        except RegistryUnavailableError as exc:
            log.warning("trainer_lease_release_failed", extra={"error": str(exc)})
        log.info("trainer_lease_released", extra={"epoch": held.epoch})

    async def _try_acquire(self, lease: TrainerLease) -> Change | None:
        began = self._monotonic()
        try:
            got = await lease.acquire(self.holder, self._clock.now(), self._seconds)
        except RegistryUnavailableError as exc:
            log.warning("trainer_lease_unreachable", extra={"error": str(exc)})
            return None
        if got is None:
            return None
        self._held, self._valid_until = got, began + self._seconds
        log.info("trainer_lease_gained", extra={"epoch": got.epoch, "holder": self.holder})
        return Change.GAINED

    async def _renew(self, lease: TrainerLease, held: Lease) -> Change | None:
        began = self._monotonic()
        if began >= self._valid_until:
            return self._lose(held, "not renewed in time")
        try:
            renewed = await lease.renew(held, self._clock.now(), self._seconds)
        except RegistryUnavailableError as exc:
            log.warning("trainer_lease_unreachable", extra={"error": str(exc)})
            return None if self._monotonic() < self._valid_until else self._lose(held, "not renewed in time")
        if renewed is None:
            return self._lose(held, "taken over")
        self._held, self._valid_until = renewed, began + self._seconds
        return None

    def _lose(self, held: Lease, why: str) -> Change:
        self._held = None
        log.warning("trainer_lease_lost", extra={"epoch": held.epoch, "why": why})
        return Change.LOST

"""The trainer lease, a row in the registry database (contract section 10)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.trainer_lease import Lease


class TrainerLease(Protocol):
    """One lease for every process sharing the registry; each call is one atomic statement or
    transaction, so two candidates can never both take it."""

    async def acquire(self, holder: str, now: datetime, seconds: float) -> Lease | None:
        """Take the lease when it is free or expired at `now` (a new term: epoch + 1) and hold it for
        `seconds`; None while another holder's lease is live."""
        ...

    async def renew(self, lease: Lease, now: datetime, seconds: float) -> Lease | None:
        """Hold our term `seconds` longer; None when the lease has passed to another term."""
        ...

    async def release(self, lease: Lease) -> None:
        """Give our term up (at shutdown), so a candidate takes over at once; a no-op once lost."""
        ...

    async def current(self) -> Lease:
        """The lease as stored."""
        ...

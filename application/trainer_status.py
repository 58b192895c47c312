"""Who trains (contract section 10), for operators: the lease as stored and this replica's view of it.

The lease row says which process holds the trainer's term and until when; this replica adds whether
it is a candidate and whether it counts itself the trainer (the `rec_trainer_leader` gauge), so an
operator asking any replica sees both the fleet's answer and that replica's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, TrainerLease
from application.trainer_election import TrainerElection
from domain.trainer_lease import Lease


@dataclass(frozen=True, slots=True)
class TrainerView:
    lease: Lease | None
    """The stored lease; None for a process alone with its registry (no lease row is used)."""
    live: bool
    """The stored lease is held and not expired."""
    replica: str
    candidate: bool
    is_trainer: bool
    checked_at: datetime


class TrainerStatus:
    def __init__(self, lease: TrainerLease | None, election: TrainerElection, clock: Clock) -> None:
        self._lease = lease
        self._election = election
        self._clock = clock

    async def execute(self) -> TrainerView:
        """RegistryUnavailableError when the lease row cannot be read."""
        now = self._clock.now()
        stored = await self._lease.current() if self._lease is not None else None
        return TrainerView(
            lease=stored,
            live=stored.live(now) if stored is not None else self._election.is_trainer,
            replica=self._election.holder,
            candidate=self._election.candidate,
            is_trainer=self._election.is_trainer,
            checked_at=now,
        )

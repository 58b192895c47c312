"""The trainer lease (contract section 10): which process trains, and the fencing token of its term.

Among the trainer candidates sharing a registry exactly one holds the lease at a time. Each takeover
starts a new term with a higher `epoch`; the epoch is the fencing token the registry compares before
it accepts a trainer's writes, so a trainer whose term has ended can no longer change anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Lease:
    holder: str | None
    """The process holding it (None: never taken, or released)."""
    epoch: int
    """The term: raised by one at every takeover, never by a renewal."""
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        """Held by a process that renewed it in time."""
        return self.holder is not None and now < self.expires_at

    def held_by(self, holder: str) -> bool:
        return self.holder == holder


LOST_LEASE = "lost the trainer lease"

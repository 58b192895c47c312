"""The trainer lease over the in-memory registry's lease row (use-case tests)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from adapters.memory.registry import NEVER, InMemoryModelRegistry
from application.ports import TrainerLease
from domain.errors import RegistryUnavailableError
from domain.trainer_lease import Lease


class InMemoryTrainerLease(TrainerLease):
    def __init__(self, registry: InMemoryModelRegistry) -> None:
        self.registry = registry

    def _row(self) -> Lease:
        if not self.registry.available:
            raise RegistryUnavailableError("in-memory registry switched off")
        return self.registry.lease

    async def acquire(self, holder: str, now: datetime, seconds: float) -> Lease | None:
        row = self._row()
        if row.live(now) and not row.held_by(holder):
            return None
        self.registry.lease = Lease(holder, row.epoch + 1, now + timedelta(seconds=seconds))
        return self.registry.lease

    async def renew(self, lease: Lease, now: datetime, seconds: float) -> Lease | None:
        row = self._row()
        if row.epoch != lease.epoch or not row.held_by(lease.holder or ""):
            return None
        self.registry.lease = dataclasses.replace(row, expires_at=now + timedelta(seconds=seconds))
        return self.registry.lease

    async def release(self, lease: Lease) -> None:
        row = self._row()
        if row.epoch == lease.epoch and lease.holder is not None and row.held_by(lease.holder):
            self.registry.lease = Lease(None, row.epoch, NEVER)

    async def current(self) -> Lease:
        return self._row()

"""The trainer lease as one row of the registry database (`trainer_lease`, migration 0005).

Every change is one conditional UPDATE: a takeover matches only a free or expired row (or our own)
and raises the epoch; a renewal matches only our term. Two candidates racing for an expired lease
are serialised by the row's lock (SQLite: the database's write lock) and the second matches nothing.
Expiry is compared on the candidates' clocks (milliseconds since 1970): machines keep them in step
(NTP); a skew of a few seconds only moves a takeover by as much, and fencing keeps it safe.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.registry.fencing import to_ms
from adapters.registry.migrations import upgrade_to_head
from adapters.registry.tables import TRAINER_LEASE_NAME, trainer_lease
from adapters.sql.engines import registry_connection
from application.ports import TrainerLease
from domain.trainer_lease import Lease

_ROW = trainer_lease.c.name == TRAINER_LEASE_NAME
_LEASE = trainer_lease.c


class SqlAlchemyTrainerLease(TrainerLease):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_schema(self) -> None:
        async with self._connection(write=True) as conn:
            await conn.run_sync(upgrade_to_head)

    async def acquire(self, holder: str, now: datetime, seconds: float) -> Lease | None:
        stored = await self.current()
        if stored.live(now) and not stored.held_by(holder):
            return None  # a read, not a write, while another trainer is live (candidates poll)
        free = or_(_LEASE.holder.is_(None), _LEASE.expires_at_ms <= to_ms(now), _LEASE.holder == holder)
        expires = now + timedelta(seconds=seconds)
        async with self._connection(write=True) as conn:
            taken = await conn.execute(
                update(trainer_lease)
                .where(_ROW, free)
                .values(holder=holder, epoch=_LEASE.epoch + 1, expires_at_ms=to_ms(expires))
            )
            if taken.rowcount != 1:
                return None
            epoch = (await conn.execute(select(_LEASE.epoch).where(_ROW))).scalar_one()
        return Lease(holder, int(epoch), _from_ms(to_ms(expires)))

    async def renew(self, lease: Lease, now: datetime, seconds: float) -> Lease | None:
        expires = now + timedelta(seconds=seconds)
        ours = (_LEASE.holder == lease.holder, _LEASE.epoch == lease.epoch)
        async with self._connection(write=True) as conn:
            renewed = await conn.execute(
                update(trainer_lease).where(_ROW, *ours).values(expires_at_ms=to_ms(expires))
            )
        if renewed.rowcount != 1:
            return None
        return Lease(lease.holder, lease.epoch, _from_ms(to_ms(expires)))

    async def release(self, lease: Lease) -> None:
        ours = (_LEASE.holder == lease.holder, _LEASE.epoch == lease.epoch)
        async with self._connection(write=True) as conn:
            await conn.execute(update(trainer_lease).where(_ROW, *ours).values(holder=None, expires_at_ms=0))

    async def current(self) -> Lease:
        async with self._connection() as conn:
            row = (await conn.execute(select(trainer_lease).where(_ROW))).mappings().first()
        if row is None:  # the row was deleted by hand: put it back, never taken
            await self._insert_row()
            return Lease(None, 0, _from_ms(0))
        return Lease(row["holder"], int(row["epoch"]), _from_ms(int(row["expires_at_ms"])))

    async def close(self) -> None:
        await self._engine.dispose()

    async def _insert_row(self) -> None:
        async with self._connection(write=True) as conn:
            try:
                await _insert(conn)
            except IntegrityError:  # another process put it back first
                return

    def _connection(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return registry_connection(self._engine, "the trainer lease cannot be used", write)


async def _insert(conn: AsyncConnection) -> None:
    await conn.execute(
        trainer_lease.insert().values(name=TRAINER_LEASE_NAME, holder=None, epoch=0, expires_at_ms=0)
    )


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)

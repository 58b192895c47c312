"""The registry's side of the trainer lease: fenced writes and the lease row's lock.

A fenced write begins its transaction with a statement on the lease row that matches only while the
row's epoch is the writer's: it takes the row's lock (MySQL/MariaDB, PostgreSQL) or the database's
write lock (SQLite), so no takeover can commit between the check and the write, and it matches no row
once another term has begun (the write is then refused). Every SQLAlchemy MySQL dialect counts
matched rows (CLIENT_FOUND_ROWS), so a statement that changes nothing still counts its row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.registry.tables import TRAINER_LEASE_NAME, trainer_lease
from domain.errors import LeaseLostError
from domain.trainer_lease import LOST_LEASE

_ROW = trainer_lease.c.name == TRAINER_LEASE_NAME


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def hold_fence(conn: AsyncConnection, fence: int | None) -> None:
    """Refuse the transaction's writes (LeaseLostError) unless term `fence` still holds the lease."""
    if fence is None:
        return
    statement = update(trainer_lease).where(_ROW, trainer_lease.c.epoch == fence)
    result = await conn.execute(statement.values(epoch=trainer_lease.c.epoch))
    if result.rowcount != 1:
        raise LeaseLostError(f"{LOST_LEASE} (its term {fence} has ended)")


async def lock_lease_row(conn: AsyncConnection) -> None:
    """Serialise with every fenced write and takeover until the transaction ends."""
    await conn.execute(update(trainer_lease).where(_ROW).values(epoch=trainer_lease.c.epoch))


async def lease_is_live(conn: AsyncConnection, now: datetime) -> bool:
    query = select(trainer_lease.c.holder, trainer_lease.c.expires_at_ms).where(_ROW)
    row = (await conn.execute(query)).first()
    return row is not None and row.holder is not None and int(row.expires_at_ms) > to_ms(now)

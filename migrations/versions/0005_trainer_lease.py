"""The trainer lease, and what jobs need to run on whichever replica holds it (contract section 10).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

`trainer_lease` holds one row, `trainer`: the holder, the epoch (the fencing token, raised at every
takeover) and when the lease expires, in milliseconds since 1970 (a number compares the same on every
dialect). Jobs gain `runner_epoch` (the epoch of the trainer running them: a running job of an older
epoch was left by a trainer that is gone), `cancel_requested` (a cancel asked on another replica) and
`tune_budget` (a tuning accepted by one replica is run by the trainer). Idempotent like 0002 and 0004.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEASE_NAME = "trainer"
LEASE = sa.table(
    "trainer_lease",
    sa.column("name", sa.String),
    sa.column("holder", sa.String),
    sa.column("epoch", sa.BigInteger),
    sa.column("expires_at_ms", sa.BigInteger),
)


def _job_columns() -> set[str]:
    return {str(column["name"]) for column in sa.inspect(op.get_bind()).get_columns("jobs")}


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table("trainer_lease"):
        op.create_table(
            "trainer_lease",
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("holder", sa.String(255), nullable=True),
            sa.Column("epoch", sa.BigInteger, nullable=False, server_default="0"),
            sa.Column("expires_at_ms", sa.BigInteger, nullable=False, server_default="0"),
        )
    present = op.get_bind().execute(sa.select(LEASE.c.name).where(LEASE.c.name == LEASE_NAME)).first()
    if present is None:
        op.execute(LEASE.insert().values(name=LEASE_NAME, holder=None, epoch=0, expires_at_ms=0))
    columns = _job_columns()
    if "runner_epoch" not in columns:
        op.add_column("jobs", sa.Column("runner_epoch", sa.BigInteger, nullable=True))
    if "cancel_requested" not in columns:
        op.add_column(
            "jobs", sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false())
        )
    if "tune_budget" not in columns:
        op.add_column("jobs", sa.Column("tune_budget", sa.Text, nullable=True))


def downgrade() -> None:
    columns = _job_columns()
    for name in ("tune_budget", "cancel_requested", "runner_epoch"):
        if name in columns:
            op.drop_column("jobs", name)
    op.drop_table("trainer_lease")

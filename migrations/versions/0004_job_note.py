"""Jobs: a `note` column for what a job is doing (waiting, tuning), apart from `activation`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

`activation` held both the policy's decision and such notes; it now holds only the decision. A job
that did not succeed never had a decision, so what its `activation` holds is a note and moves.
Idempotent, like 0002: a registry adopted from `create_all` may already have the column.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOBS = sa.table(
    "jobs", sa.column("status", sa.String), sa.column("activation", sa.Text), sa.column("note", sa.Text)
)


def _columns() -> set[str]:
    return {str(column["name"]) for column in sa.inspect(op.get_bind()).get_columns("jobs")}


def upgrade() -> None:
    if "note" not in _columns():
        op.add_column("jobs", sa.Column("note", sa.Text, nullable=True))
    # Two statements: MySQL applies one UPDATE's assignments left to right, not to the old row.
    undecided = JOBS.c.status != "succeeded"
    op.execute(
        sa.update(JOBS).where(undecided & JOBS.c.activation.is_not(None)).values(note=JOBS.c.activation)
    )
    op.execute(sa.update(JOBS).where(undecided).values(activation=None))


def downgrade() -> None:
    if "note" in _columns():
        undecided = (JOBS.c.status != "succeeded") & JOBS.c.note.is_not(None)
        op.execute(sa.update(JOBS).where(undecided).values(activation=JOBS.c.note))
        op.drop_column("jobs", "note")

"""Experiments: at most one runs, enforced by the database (`running_slot`, a unique index).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Two replicas starting an experiment at once both found none running and both inserted theirs. The
row of a running experiment now holds `running_slot = 1` (NULL once stopped) under a unique index, so
the second insert fails and is answered 409. The newest running experiment takes the slot; one that
an earlier race left running beside it is stopped at the newer one's start (the service already
served only the newest). Idempotent, like 0002.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ux_experiments_running_slot"
EXPERIMENTS = sa.table(
    "experiments",
    sa.column("experiment_id", sa.String),
    sa.column("status", sa.String),
    sa.column("started_at", sa.String),
    sa.column("stopped_at", sa.String),
    sa.column("running_slot", sa.Integer),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "running_slot" not in {str(c["name"]) for c in inspector.get_columns("experiments")}:
        op.add_column("experiments", sa.Column("running_slot", sa.Integer, nullable=True))
    running = (
        op.get_bind()
        .execute(
            sa.select(EXPERIMENTS.c.experiment_id, EXPERIMENTS.c.started_at)
            .where(EXPERIMENTS.c.status == "running")
            .order_by(EXPERIMENTS.c.started_at.desc(), EXPERIMENTS.c.experiment_id.desc())
        )
        .all()
    )
    if running:
        newest, started = running[0]
        for older, _ in running[1:]:
            op.execute(
                sa.update(EXPERIMENTS)
                .where(EXPERIMENTS.c.experiment_id == older)
                .values(status="stopped", stopped_at=started, running_slot=None)
            )
        op.execute(sa.update(EXPERIMENTS).where(EXPERIMENTS.c.experiment_id == newest).values(running_slot=1))
    if INDEX not in {str(index["name"]) for index in inspector.get_indexes("experiments")}:
        op.create_index(INDEX, "experiments", ["running_slot"], unique=True)


def downgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if INDEX in {str(index["name"]) for index in inspector.get_indexes("experiments")}:
        op.drop_index(INDEX, table_name="experiments")
    if "running_slot" in {str(c["name"]) for c in inspector.get_columns("experiments")}:
        with op.batch_alter_table("experiments") as batch:
            batch.drop_column("running_slot")

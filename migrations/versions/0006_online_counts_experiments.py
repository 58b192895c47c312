"""Online evaluation: attributed hot events, lists served per serving context, experiments.

Revision ID: 0006
Revises: 0004 (to be re-pointed at 0005, the trainer lease, when both land: change `down_revision`)
Create Date: 2026-12-03

`hot_events` gains the list an event came from (`recommendation_id`) and the serving context it is
attributed to (`attributed_to`, a token), with an index answering the per-context counts from the
index alone. `online_counts` holds the lists every replica served per context; `experiments` the
A/B experiments between versions. Idempotent, like 0002: a registry adopted from `create_all` may
already have them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMP, ID, TOKEN, ARM = 40, 128, 16, 64
ATTRIBUTION_INDEX = "ix_hot_events_attribution"


def _inspector() -> sa.Inspector:
    return sa.inspect(op.get_bind())


def upgrade() -> None:
    inspector = _inspector()
    columns = {str(column["name"]) for column in inspector.get_columns("hot_events")}
    if "recommendation_id" not in columns:
        op.add_column("hot_events", sa.Column("recommendation_id", sa.String(64), nullable=True))
    if "attributed_to" not in columns:
        op.add_column("hot_events", sa.Column("attributed_to", sa.String(TOKEN), nullable=True))
    if ATTRIBUTION_INDEX not in {str(index["name"]) for index in inspector.get_indexes("hot_events")}:
        op.create_index(ATTRIBUTION_INDEX, "hot_events", ["attributed_to", "recommendation_id"])
    if not inspector.has_table("online_counts"):
        op.create_table(
            "online_counts",
            sa.Column("token", sa.String(TOKEN), primary_key=True),
            sa.Column("model_id", sa.String(ID), nullable=False),
            sa.Column("experiment_id", sa.String(ID), nullable=False),
            sa.Column("arm", sa.String(ARM), nullable=False),
            sa.Column("lists", sa.BigInteger, nullable=False),
        )
        op.create_index("ix_online_counts_model_id", "online_counts", ["model_id"])
    if not inspector.has_table("experiments"):
        op.create_table(
            "experiments",
            sa.Column("experiment_id", sa.String(ID), primary_key=True),
            sa.Column("name", sa.String(255), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("started_at", sa.String(STAMP), nullable=False),
            sa.Column("stopped_at", sa.String(STAMP), nullable=True),
            sa.Column("arms", sa.Text, nullable=False),
            sa.Column("winner", sa.String(ARM), nullable=True),
        )
        op.create_index("ix_experiments_status", "experiments", ["status"])
        op.create_index("ix_experiments_started_at", "experiments", ["started_at"])


def downgrade() -> None:
    inspector = _inspector()
    for table in ("experiments", "online_counts"):
        if inspector.has_table(table):
            op.drop_table(table)
    if ATTRIBUTION_INDEX in {str(index["name"]) for index in inspector.get_indexes("hot_events")}:
        op.drop_index(ATTRIBUTION_INDEX, table_name="hot_events")
    columns = {str(column["name"]) for column in inspector.get_columns("hot_events")}
    with op.batch_alter_table("hot_events") as batch:  # SQLite drops columns by a table copy
        for column in ("attributed_to", "recommendation_id"):
            if column in columns:
                batch.drop_column(column)

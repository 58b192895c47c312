"""Hot events and the admin blacklist.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Created only when absent: their adapters created them with `create_all` before this migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMP = 40


def _absent(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _absent("hot_events"):
        op.create_table(
            "hot_events",
            sa.Column(
                "id",
                sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                primary_key=True,
                autoincrement=True,
            ),
            sa.Column("user_id", sa.BigInteger, nullable=False),
            sa.Column("title_id", sa.BigInteger, nullable=False),
            sa.Column("int_type", sa.String(32), nullable=False),
            sa.Column("raw_score", sa.Float, nullable=True),
            sa.Column("created_at", sa.String(STAMP), nullable=False),
        )
        op.create_index("ix_hot_events_user_id", "hot_events", ["user_id"])
        op.create_index("ix_hot_events_created_at", "hot_events", ["created_at"])
    if _absent("admin_blacklist"):
        op.create_table(
            "admin_blacklist",
            sa.Column("title_id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("reason", sa.String(255), nullable=True),
            sa.Column("created_at", sa.String(STAMP), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("admin_blacklist")
    op.drop_table("hot_events")

"""Model versions, jobs and registry state (the walking service's tables).

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Registries created before migrations existed (by `metadata.create_all`) already hold these tables:
each is created only when absent, so such a database is adopted as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 128
STAMP = 40


def _absent(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _absent("model_versions"):
        op.create_table(
            "model_versions",
            sa.Column("model_id", sa.String(ID), primary_key=True),
            sa.Column("created_at", sa.String(STAMP), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("params", sa.Text, nullable=False),
            sa.Column("metrics", sa.Text, nullable=False),
            sa.Column("dataset", sa.Text, nullable=False),
            sa.Column("train_seconds", sa.Float, nullable=False),
            sa.Column("sha256", sa.String(64), nullable=False),
            sa.Column("data_cutoff", sa.String(STAMP), nullable=True),
            sa.Column("job_id", sa.String(ID), nullable=True),
            sa.Column("extra", sa.Text, nullable=False),
        )
        op.create_index("ix_model_versions_created_at", "model_versions", ["created_at"])
    if _absent("jobs"):
        op.create_table(
            "jobs",
            sa.Column("job_id", sa.String(ID), primary_key=True),
            sa.Column("trigger", sa.String(16), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("mode", sa.String(16), nullable=False),
            sa.Column("activate", sa.Boolean, nullable=True),
            sa.Column("params", sa.Text, nullable=False),
            sa.Column("created_at", sa.String(STAMP), nullable=False),
            sa.Column("scheduled_at", sa.String(STAMP), nullable=True),
            sa.Column("started_at", sa.String(STAMP), nullable=True),
            sa.Column("finished_at", sa.String(STAMP), nullable=True),
            sa.Column("model_id", sa.String(ID), nullable=True),
            sa.Column("metrics", sa.Text, nullable=False),
            sa.Column("error", sa.Text, nullable=True),
            sa.Column("progress", sa.Float, nullable=False),
            sa.Column("activation", sa.Text, nullable=True),
        )
        op.create_index("ix_jobs_status", "jobs", ["status"])
        op.create_index("ix_jobs_created_at", "jobs", ["created_at"])
    if _absent("registry_state"):
        op.create_table(
            "registry_state",
            sa.Column("key", sa.String(ID), primary_key=True),
            sa.Column("value", sa.Text, nullable=True),
        )


def downgrade() -> None:
    op.drop_table("registry_state")
    op.drop_table("jobs")
    op.drop_table("model_versions")

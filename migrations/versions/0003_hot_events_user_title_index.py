"""Hot events: one index on (user_id, title_id) instead of (user_id).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Every cache miss reads its user's hot titles (they count as seen). With an index on `user_id`
alone each row costs a second lookup in the table; the pair index answers from the index only. It
also serves every lookup by user, so the single-column index goes. Idempotent, like 0002: a
registry adopted from `create_all` may already have the new index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "ix_hot_events_user_id"
NEW = "ix_hot_events_user_title"


def _indexes() -> set[str]:
    return {str(index["name"]) for index in sa.inspect(op.get_bind()).get_indexes("hot_events")}


def upgrade() -> None:
    present = _indexes()
    if NEW not in present:
        op.create_index(NEW, "hot_events", ["user_id", "title_id"])
    if OLD in present:
        op.drop_index(OLD, table_name="hot_events")


def downgrade() -> None:
    present = _indexes()
    if OLD not in present:
        op.create_index(OLD, "hot_events", ["user_id"])
    if NEW in present:
        op.drop_index(NEW, table_name="hot_events")

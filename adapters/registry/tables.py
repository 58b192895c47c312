"""Tables of the model registry and job store (SQLAlchemy Core; Alembic migrations in `migrations/`).

Timestamps are ISO-8601 UTC text with a fixed shape, so text order is time order on every dialect.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

ID_LENGTH = 128
STAMP_LENGTH = 40

metadata = MetaData()

model_versions = Table(
    "model_versions",
    metadata,
    Column("model_id", String(ID_LENGTH), primary_key=True),
    Column("created_at", String(STAMP_LENGTH), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("params", Text, nullable=False),
    Column("metrics", Text, nullable=False),
    Column("dataset", Text, nullable=False),
    Column("train_seconds", Float, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data_cutoff", String(STAMP_LENGTH), nullable=True),
    Column("job_id", String(ID_LENGTH), nullable=True),
    Column("extra", Text, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("job_id", String(ID_LENGTH), primary_key=True),
    Column("trigger", String(16), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("mode", String(16), nullable=False),
    Column("activate", Boolean, nullable=True),
    Column("params", Text, nullable=False),
    Column("created_at", String(STAMP_LENGTH), nullable=False, index=True),
    Column("scheduled_at", String(STAMP_LENGTH), nullable=True),
    Column("started_at", String(STAMP_LENGTH), nullable=True),
    Column("finished_at", String(STAMP_LENGTH), nullable=True),
    Column("model_id", String(ID_LENGTH), nullable=True),
    Column("metrics", Text, nullable=False),
    Column("error", Text, nullable=True),
    Column("progress", Float, nullable=False),
    Column("activation", Text, nullable=True),
    Column("note", Text, nullable=True),  # migration 0004
    # migration 0005: the epoch of the trainer running it, a cancel asked elsewhere, a tuning's budget
    Column("runner_epoch", BigInteger, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, server_default=false()),
    Column("tune_budget", Text, nullable=True),
)

# One row, "trainer": who trains, the term's fencing token, and until when (migration 0005).
trainer_lease = Table(
    "trainer_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255), nullable=True),
    Column("epoch", BigInteger, nullable=False, server_default="0"),
    Column("expires_at_ms", BigInteger, nullable=False, server_default="0"),
)

TRAINER_LEASE_NAME = "trainer"

# One row per setting; "active_model_id" names the served version.
registry_state = Table(
    "registry_state",
    metadata,
    Column("key", String(ID_LENGTH), primary_key=True),
    Column("value", Text, nullable=True),
)

ACTIVE_MODEL_KEY = "active_model_id"

# Hot interactions, committed before the 202 that acknowledges them; read per user and by training.
hot_events = Table(
    "hot_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, nullable=False),
    Column("title_id", BigInteger, nullable=False),
    Column("int_type", String(32), nullable=False),
    Column("raw_score", Float, nullable=True),
    Column("created_at", String(STAMP_LENGTH), nullable=False, index=True),
    # Covers every cache miss's read of a user's hot titles: no row lookups (migration 0003).
    Index("ix_hot_events_user_title", "user_id", "title_id"),
)

# Titles blacklisted through /admin/blacklist (the source's own table is read from the source).
admin_blacklist = Table(
    "admin_blacklist",
    metadata,
    Column("title_id", BigInteger, primary_key=True, autoincrement=False),
    Column("reason", String(255), nullable=True),
    Column("created_at", String(STAMP_LENGTH), nullable=False),
)

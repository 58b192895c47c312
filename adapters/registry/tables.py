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
TOKEN_LENGTH = 16
RECOMMENDATION_ID_LENGTH = 64
ARM_LENGTH = 64

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
    # The list the event came from (migration 0006): its id ("" when malformed) and the token of
    # the serving context it is attributed to (NULL: unattributed).
    Column("recommendation_id", String(RECOMMENDATION_ID_LENGTH), nullable=True),
    Column("attributed_to", String(TOKEN_LENGTH), nullable=True),
    # Covers every cache miss's read of a user's hot titles: no row lookups (migration 0003).
    Index("ix_hot_events_user_title", "user_id", "title_id"),
    # Covers the online counts' read: events and distinct lists per context (migration 0006).
    Index("ix_hot_events_attribution", "attributed_to", "recommendation_id"),
)

# Titles blacklisted through /admin/blacklist (the source's own table is read from the source).
admin_blacklist = Table(
    "admin_blacklist",
    metadata,
    Column("title_id", BigInteger, primary_key=True, autoincrement=False),
    Column("reason", String(255), nullable=True),
    Column("created_at", String(STAMP_LENGTH), nullable=False),
)

# Lists served per serving context (version, experiment, arm), added by every replica (migration 0006).
online_counts = Table(
    "online_counts",
    metadata,
    Column("token", String(TOKEN_LENGTH), primary_key=True),
    Column("model_id", String(ID_LENGTH), nullable=False, index=True),
    Column("experiment_id", String(ID_LENGTH), nullable=False),
    Column("arm", String(ARM_LENGTH), nullable=False),
    Column("lists", BigInteger, nullable=False),
)

# A/B experiments between versions; `arms` is JSON [{"name", "model_id", "share"}] (migration 0006).
experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", String(ID_LENGTH), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("started_at", String(STAMP_LENGTH), nullable=False, index=True),
    Column("stopped_at", String(STAMP_LENGTH), nullable=True),
    Column("arms", Text, nullable=False),
    Column("winner", String(ARM_LENGTH), nullable=True),
    # 1 while running, NULL once stopped: the unique index lets one experiment run at a time whatever
    # the replicas racing to start one (NULLs never collide; migration 0007).
    Column("running_slot", Integer, nullable=True),
    Index("ux_experiments_running_slot", "running_slot", unique=True),
)

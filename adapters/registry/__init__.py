"""The registry database: `ModelRegistry`, `JobStore`, `HotEventStore`, `AdminBlacklistStore`.

SQLAlchemy (async) on any URL (SQLite by default, MySQL/MariaDB, PostgreSQL), schema kept by the
Alembic migrations in the top-level `migrations/` package (`migrations.py` runs them), rows mapped
to domain objects in `rows.py`. Builds on `adapters.sql` for engines and driver-level reads.
"""

"""Alembic, run programmatically on a connection the registry already holds (`run_sync`).

The revisions live in the top-level `migrations` package (shipped with the service).
"""

from __future__ import annotations

from contextlib import suppress
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from domain.errors import RegistryUnavailableError


def migrations_dir() -> Path:
    return Path(str(files("migrations")))


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


MIGRATION_LOCK_SECONDS = 60


def upgrade_to_head(connection: Connection) -> None:
    """Apply every migration not yet applied; a no-op on an up-to-date database.

    Replicas that start together must not migrate together (both would create Alembic's version
    table, or stamp it twice): the first takes a lock for the duration and the others, once they
    get it, find the database at head. MySQL/MariaDB: a named lock of the session (`GET_LOCK`, per
    database); SQLite: the database's write lock, taken at once (`BEGIN IMMEDIATE`; the others wait
    up to the busy timeout). Other databases run as they are.
    """
    dialect = connection.dialect.name
    if dialect in ("mysql", "mariadb"):
        name = f"rec_registry_migrations:{connection.exec_driver_sql('SELECT DATABASE()').scalar()}"[:64]
        got = connection.exec_driver_sql("SELECT GET_LOCK(%s, %s)", (name, MIGRATION_LOCK_SECONDS)).scalar()
        if got != 1:
            raise RegistryUnavailableError(
                f"the registry's migrations wait for lock {name!r}, held by another process for "
                f"{MIGRATION_LOCK_SECONDS} s"
            )
        try:
            upgrade_to(connection, "head")
        finally:
            with suppress(SQLAlchemyError):  # a dead session has released its locks already
                connection.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (name,))
        return
    if dialect == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    upgrade_to(connection, "head")


def upgrade_to(connection: Connection, revision: str) -> None:
    command.upgrade(_config(connection), revision)


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()

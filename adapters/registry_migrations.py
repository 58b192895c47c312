"""Alembic, run programmatically on a connection the registry already holds (`run_sync`).

The revisions live in the top-level `migrations` package (shipped with the service).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection


def migrations_dir() -> Path:
    return Path(str(files("migrations")))


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Apply every migration not yet applied; a no-op on an up-to-date database."""
    upgrade_to(connection, "head")


def upgrade_to(connection: Connection, revision: str) -> None:
    command.upgrade(_config(connection), revision)


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()

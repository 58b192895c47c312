"""The default source schema (README, "The source database") as SQLAlchemy tables: its one definition.

The service itself never writes to the source; the demo generator, the MovieLens loader and the tests
create sources in this shape on SQLite or MySQL/MariaDB. `deploy/mysql/init.sql` is the same schema
written out for operators; a test holds it to these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    text,
    true,
)
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable, ExecutableDDLElement
from sqlalchemy.sql.schema import SchemaItem

source_metadata = MetaData()
# SQLite keeps DATETIME as text: whole seconds, as the demo source and MySQL's DATETIME have them.
_CREATED_AT = DateTime().with_variant(
    SQLITE_DATETIME(  # type: ignore[no-untyped-call]
        storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
    ),
    "sqlite",
)


def _table(name: str, *items: SchemaItem) -> Table:
    return Table(name, source_metadata, *items, mysql_charset="utf8mb4", mysql_engine="InnoDB")


titles = _table(
    "titles",
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(512), nullable=False),
    Column("is_active", Boolean, nullable=False, server_default=true()),
)
title_features = _table(
    "title_features",
    Column("title_id", BigInteger, nullable=False),
    Column("feature", String(255), nullable=False),
    Column("weight", Float, nullable=False, server_default=text("1.0")),
)
users = _table(
    "users",
    Column("id", BigInteger, primary_key=True, autoincrement=False),
)
user_features = _table(
    "user_features",
    Column("user_id", BigInteger, nullable=False),
    Column("feature", String(255), nullable=False),
    Column("weight", Float, nullable=False, server_default=text("1.0")),
)
interactions = _table(
    "interactions",
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, nullable=False),
    Column("title_id", BigInteger, nullable=False),
    Column("int_type", String(32), nullable=False),
    Column("raw_score", Float, nullable=True),
    Column("created_at", _CREATED_AT, nullable=False),
    Index("ix_interactions_user_id", "user_id"),
    Index("ix_interactions_created_at", "created_at"),
)
blacklist = _table(
    "blacklist",
    Column("title_id", BigInteger, primary_key=True, autoincrement=False),
    Column("reason", String(255), nullable=True),
)

# Filled in this order; emptied in the reverse one.
SOURCE_TABLES = (titles, title_features, users, user_features, interactions, blacklist)


def tables_sql(dialect: Dialect) -> str:
    """`CREATE TABLE` statements of the source tables for `dialect`, without their indexes."""
    return "".join(f"{_compiled(CreateTable(table), dialect)};\n" for table in SOURCE_TABLES)


def indexes_sql(dialect: Dialect) -> str:
    """`CREATE INDEX` statements of the source tables (built after a bulk load, which is faster)."""
    return "".join(
        f"{_compiled(CreateIndex(index), dialect)};\n"
        for table in SOURCE_TABLES
        for index in sorted(table.indexes, key=lambda index: str(index.name))
    )


def _compiled(statement: ExecutableDDLElement, dialect: Dialect) -> str:
    return str(statement.compile(dialect=dialect)).strip()

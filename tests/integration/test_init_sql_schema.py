"""`deploy/mysql/init.sql` is written out for operators; it must stay `adapters/source/schema.py`.

Both are created on the real server and compared as MariaDB reflects them, so a difference in a table,
a column, its type, nullability or default, a key or an index fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url

from adapters.source.schema import source_metadata
from adapters.sql.engines import create_engine_for
from tests.conftest import REPO, MySqlDatabase, mysql_admin

pytestmark = [pytest.mark.integration, pytest.mark.mysql]

INIT_SQL = REPO / "deploy" / "mysql" / "init.sql"


def _create_tables(script: str) -> list[str]:
    """The script's `CREATE TABLE` statements (users, grants and the registry database are not schema)."""
    statements = [s.strip() for s in re.sub(r"--[^\n]*", "", script).split(";")]
    return [s for s in statements if s.upper().startswith("CREATE TABLE")]


def _described(conn: Connection) -> dict[str, Any]:
    found = inspect(conn)
    described: dict[str, Any] = {}
    for table in sorted(found.get_table_names()):
        columns = [
            (c["name"], str(c["type"]), c["nullable"], c.get("default"), c.get("autoincrement"))
            for c in found.get_columns(table)
        ]
        indexes = sorted((i["name"], tuple(i["column_names"]), i["unique"]) for i in found.get_indexes(table))
        options = found.get_table_options(table)
        described[table] = {
            "columns": columns,
            "primary key": found.get_pk_constraint(table)["constrained_columns"],
            "indexes": indexes,
            "unique": found.get_unique_constraints(table),
            "charset": options.get("mysql_default charset"),
            "engine": options.get("mysql_engine"),
        }
    return described


async def _reflect(url: str) -> dict[str, Any]:
    engine = create_engine_for(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_described)
    finally:
        await engine.dispose()


async def _reflect_the_definition(mysql_db: MySqlDatabase) -> dict[str, Any]:
    name = f"{mysql_db.name}_sa"
    await mysql_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    url = make_url(mysql_db.url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_engine_for(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(source_metadata.create_all)
        finally:
            await engine.dispose()
        return await _reflect(url)
    finally:
        await mysql_admin(f"DROP DATABASE IF EXISTS `{name}`")


async def test_init_sql_creates_exactly_the_sqlalchemy_source_schema(mysql_db: MySqlDatabase) -> None:
    statements = _create_tables(INIT_SQL.read_text())
    assert len(statements) == len(source_metadata.tables)
    await mysql_admin(*statements, database=mysql_db.name)

    from_file = await _reflect(mysql_db.url)
    from_definition = await _reflect_the_definition(mysql_db)

    assert set(from_file) == set(source_metadata.tables)
    for table, described in from_definition.items():
        assert from_file[table] == described, table

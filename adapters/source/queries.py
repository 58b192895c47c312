"""Every SQL statement the service sends to the source, and the operator's replacements.

The six base SELECTs return the columns named in `QUERY_COLUMNS`; `REC_SOURCE_QUERIES` (TOML, keys
= query names, values = SELECTs) may replace any of them. Aggregations wrap the (possibly replaced)
interactions query as a subquery, so replacements keep working.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from domain.errors import SourceUnavailableError


class Kind(Enum):
    """How a column's values become one numpy/pandas column."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    CATEGORY = "category"  # few distinct strings: stored as codes, never one object per row
    TEXT = "text"
    TIMESTAMP = "timestamp"


QUERY_COLUMNS: Mapping[str, tuple[tuple[str, Kind], ...]] = MappingProxyType(
    {
        "titles": (("id", Kind.INT), ("name", Kind.TEXT), ("is_active", Kind.BOOL)),
        "title_features": (("title_id", Kind.INT), ("feature", Kind.CATEGORY), ("weight", Kind.FLOAT)),
        "users": (("id", Kind.INT),),
        "user_features": (("user_id", Kind.INT), ("feature", Kind.CATEGORY), ("weight", Kind.FLOAT)),
        "interactions": (
            ("user_id", Kind.INT),
            ("title_id", Kind.INT),
            ("int_type", Kind.CATEGORY),
            ("raw_score", Kind.FLOAT),
            ("created_at", Kind.TIMESTAMP),
        ),
        "blacklist": (("title_id", Kind.INT), ("reason", Kind.TEXT)),
    }
)

DEFAULT_QUERIES: Mapping[str, str] = MappingProxyType(
    {
        "titles": "SELECT id, name, is_active FROM titles",
        "title_features": "SELECT title_id, feature, weight FROM title_features",
        "users": "SELECT id FROM users",
        "user_features": "SELECT user_id, feature, weight FROM user_features",
        "interactions": "SELECT user_id, title_id, int_type, raw_score, created_at FROM interactions",
        "blacklist": "SELECT title_id, reason FROM blacklist",
    }
)

# `{interactions}` is the (possibly replaced) interactions query; values are always bound.
_POSITIVE_FILTER = "q.int_type IN :types AND (q.int_type <> :rating OR q.raw_score >= :rating_min)"
POSITIVE_COUNTS_SQL = (
    "SELECT q.title_id AS title_id, COUNT(*) AS n FROM ({interactions}) AS q "
    f"WHERE {_POSITIVE_FILTER} GROUP BY q.title_id"
)
WINDOW_POSITIVE_COUNTS_SQL = (
    "SELECT q.title_id AS title_id, COUNT(*) AS n FROM ({interactions}) AS q "
    f"WHERE {_POSITIVE_FILTER} AND q.created_at >= :since GROUP BY q.title_id"
)
# "Seen" titles of many users in one statement (concurrent cache misses share it): one row per user
# with the distinct title ids joined by commas where the dialect has GROUP_CONCAT, else one per pair.
# Run with the driver's own placeholders (`{user_ids}`): SQLAlchemy's rendering of an expanding IN
# list costs more than the rest of the statement's client side.
SEEN_CONCAT_SQL = (
    "SELECT q.user_id AS user_id, GROUP_CONCAT(DISTINCT q.title_id) AS title_ids "
    "FROM ({interactions}) AS q WHERE q.user_id IN ({user_ids}) GROUP BY q.user_id"
)
SEEN_PAIRS_SQL = (
    "SELECT DISTINCT q.user_id AS user_id, q.title_id AS title_id "
    "FROM ({interactions}) AS q WHERE q.user_id IN ({user_ids})"
)
GROUP_CONCAT_DIALECTS = frozenset({"mysql", "mariadb", "sqlite"})


def seen_sql_for(dialect: str, paramstyle: str, interactions: str) -> tuple[str, bool]:
    """The "seen" statement for a driver, as a template of `{user_ids}`, and whether its rows are
    GROUP_CONCAT strings. `interactions` is the operator's SQL as written (no bind escaping)."""
    if paramstyle != "qmark":
        interactions = interactions.replace("%", "%%")  # a literal '%' in format-style SQL
    concat = dialect in GROUP_CONCAT_DIALECTS
    sql = (SEEN_CONCAT_SQL if concat else SEEN_PAIRS_SQL).format(
        interactions=interactions, user_ids="{user_ids}"
    )
    return sql, concat


SEEN_INDEX_STATEMENT = "CREATE INDEX ix_interactions_user_title ON interactions (user_id, title_id)"


def reads_index_only(plan: Sequence[Mapping[Any, Any]]) -> bool:
    """Whether every table step of a MySQL/MariaDB `EXPLAIN` answers from an index alone.

    `Extra` holds items separated by "; ": "Using index" (or "Using index for group-by") means
    index-only, whereas "Using index condition" still fetches each row from the table. Steps
    without a table (a derived table merged away, "No tables used") read nothing.
    """
    for step in plan:
        table = step.get("table")
        if table is None or str(table).startswith("<"):
            continue
        extra = [item.strip() for item in str(step.get("Extra") or "").split(";")]
        if not any(item == "Using index" or item.startswith("Using index for") for item in extra):
            return False
    return True


COLUMNS_ONLY_SQL = "SELECT * FROM ({query}) AS q LIMIT 0"
PING_SQL = "SELECT 1"

# MySQL/MariaDB bulk reads: name the columns in order; timestamps as integer microseconds since the
# epoch, which the driver hands over far faster than datetime objects (the session runs in UTC).
MYSQL_TIMESTAMP_SQL = "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', q.`{column}`)"
MYSQL_BULK_SQL = "SELECT {columns} FROM ({query}) AS q"


class SourceQueryError(SourceUnavailableError):
    """A source query fails or lacks a documented column: the service must not start with it."""


def normalised(queries: Mapping[str, str] | None) -> dict[str, str]:
    """The six queries with the operator's replacements applied, trailing `;` removed."""
    unknown = sorted(set(queries or {}) - set(DEFAULT_QUERIES))
    if unknown:
        known = ", ".join(DEFAULT_QUERIES)
        raise ValueError(f"unknown source queries: {', '.join(unknown)} (known: {known})")
    merged = {**DEFAULT_QUERIES, **(queries or {})}
    return {name: sql.strip().rstrip(";").strip() for name, sql in merged.items()}


def load_query_file(path: Path) -> dict[str, str]:
    """Read a `REC_SOURCE_QUERIES` TOML file: `name = "SELECT ..."` for any of the six names."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    queries: dict[str, str] = {}
    for name, value in document.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{path}: {name!r} must be a non-empty SQL string")
        queries[name] = value
    normalised(queries)  # names checked here, so a typo stops the service at start
    return queries


def missing_columns(name: str, returned: list[str]) -> list[str]:
    """The documented columns of query `name` that `returned` (any case) lacks."""
    present = {column.lower() for column in returned}
    return [column for column, _ in QUERY_COLUMNS[name] if column not in present]


def missing_column_error(name: str, column: str) -> SourceQueryError:
    return SourceQueryError(
        f"the source query {name!r} returns no column {column!r} "
        f"(it must return: {', '.join(c for c, _ in QUERY_COLUMNS[name])})"
    )


def mysql_bulk_sql(name: str, query: str) -> str:
    """The query for one MySQL bulk read: its columns by name, in order, timestamps as integers."""
    selected = [
        MYSQL_TIMESTAMP_SQL.format(column=column) if kind is Kind.TIMESTAMP else f"q.`{column}`"
        for column, kind in QUERY_COLUMNS[name]
    ]
    return MYSQL_BULK_SQL.format(columns=", ".join(selected), query=query)

"""Row chunks from a driver into typed numpy/pandas columns, one chunk at a time.

Only the current chunk exists as Python tuples; what is kept are numpy arrays (numbers, timestamps)
and category codes with one small vocabulary (int types, feature names), so ten million rows never
become ten million Python objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from adapters.source.queries import QUERY_COLUMNS, Kind
from domain.errors import SourceUnavailableError

Rows = Sequence[Sequence[Any]]
NS_PER_US = 1000


class _Column:
    """One output column: per-chunk arrays, concatenated at the end."""

    def __init__(self, kind: Kind, epoch_micros: bool) -> None:
        self.kind = kind
        self._epoch_micros = epoch_micros
        self._parts: list[np.ndarray] = []
        self._vocabulary: dict[Any, int] = {}

    def add(self, values: Iterator[Any], n: int) -> None:
        kind = self.kind
        if kind is Kind.INT:
            self._parts.append(np.fromiter(values, np.int64, n))
        elif kind is Kind.FLOAT:
            self._parts.append(np.array(list(values), dtype=np.float64))  # NULL -> NaN
        elif kind is Kind.BOOL:
            self._parts.append(np.fromiter(values, bool, n))
        elif kind is Kind.TEXT:
            self._parts.append(np.fromiter(values, object, n))
        elif kind is Kind.CATEGORY:
            self._parts.append(self._codes(np.fromiter(values, object, n)))
        else:
            self._parts.append(self._nanoseconds(np.fromiter(values, object, n)))

    def _codes(self, chunk: np.ndarray) -> np.ndarray:
        codes, uniques = pd.factorize(chunk)
        if len(uniques) == 0:
            return np.asarray(codes, dtype=np.int32)
        vocabulary = self._vocabulary
        remap = np.array([vocabulary.setdefault(value, len(vocabulary)) for value in uniques], np.int32)
        return np.where(codes < 0, -1, remap[codes]).astype(np.int32)

    def _nanoseconds(self, chunk: np.ndarray) -> np.ndarray:
        if self._epoch_micros:
            return chunk.astype(np.int64) * NS_PER_US
        stamps = pd.to_datetime(chunk, utc=True, format="ISO8601")
        return np.asarray(stamps.tz_convert(None).as_unit("ns").asi8, dtype=np.int64)

    def finish(self) -> Any:
        empty = {
            Kind.INT: np.int64,
            Kind.FLOAT: np.float64,
            Kind.BOOL: bool,
            Kind.TEXT: object,
            Kind.CATEGORY: np.int32,
            Kind.TIMESTAMP: np.int64,
        }[self.kind]
        joined = np.concatenate(self._parts) if self._parts else np.empty(0, dtype=empty)
        self._parts = [joined]
        if self.kind is Kind.CATEGORY:
            categories = pd.Index(list(self._vocabulary), dtype=object)
            return pd.Categorical.from_codes(joined, categories=categories)
        if self.kind is Kind.TIMESTAMP:
            return joined.view("datetime64[ns]")
        return joined


class ColumnBuilder:
    """Accumulates the chunks of one base query into its documented columns."""

    def __init__(self, query: str, returned: Sequence[str], *, epoch_micros: bool = False) -> None:
        self.query = query
        names = [str(name).lower() for name in returned]
        self._spec = QUERY_COLUMNS[query]
        self._positions = [names.index(column) for column, _ in self._spec]
        self._columns = {column: _Column(kind, epoch_micros) for column, kind in self._spec}
        self.rows = 0

    def add(self, rows: Rows) -> None:
        n = len(rows)
        if n == 0:
            return
        for (column, kind), position in zip(self._spec, self._positions, strict=True):
            try:
                self._columns[column].add(map(itemgetter(position), rows), n)
            except (TypeError, ValueError, OverflowError) as exc:
                raise SourceUnavailableError(
                    f"the source query {self.query!r} returned a value in column {column!r} "
                    f"that is not {kind.value} ({type(exc).__name__}: {exc})"
                ) from None
        self.rows += n

    def finish(self) -> dict[str, Any]:
        return {column: builder.finish() for column, builder in self._columns.items()}


def interactions_frame(columns: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": columns["user_id"],
            "title_id": columns["title_id"],
            "int_type": pd.Series(columns["int_type"]),
            "raw_score": columns["raw_score"],
            "created_at": columns["created_at"],
        }
    )


def titles_frame(columns: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": columns["id"],
            "name": pd.Series(columns["name"], dtype=object),
            "is_active": columns["is_active"],
        }
    )


def features_frame(columns: dict[str, Any], owner: str) -> pd.DataFrame:
    return pd.DataFrame(
        {owner: columns[owner], "feature": pd.Series(columns["feature"]), "weight": columns["weight"]}
    )


def feature_titles(columns: dict[str, Any]) -> dict[str, frozenset[int]]:
    """Each feature name's titles, from the columns of the `title_features` query."""
    frame = features_frame(columns, "title_id")
    grouped = frame.groupby("feature", observed=True, sort=False)["title_id"]
    return {str(name): frozenset(int(t) for t in ids.tolist()) for name, ids in grouped}

"""A deterministic synthetic source (SQLite, the default source schema) for demos and benchmarks.

Users have a taste over genres driven by their attributes plus a personal part and a few hidden
factors; titles have 1-3 genres and a popularity. Events are drawn without replacement from a softmax
of affinity plus a moderate popularity term, so a personalised model beats the popular list.
Only the timestamps depend on the wall clock: they end at the generation time.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.dialects import sqlite

from adapters.source import tables as columns
from adapters.source.schema import indexes_sql, tables_sql

# The default source schema from its one definition; indexes are built after the bulk load.
TABLES_SQL = tables_sql(sqlite.dialect())
INDEXES_SQL = indexes_sql(sqlite.dialect())
SCHEMA_SQL = TABLES_SQL + INDEXES_SQL

GENRES = (
    "Drama", "Comedy", "Action", "Thriller", "Horror", "Romance", "Sci-Fi", "Fantasy",
    "Documentary", "Animation", "Crime", "Mystery", "Adventure", "Family", "Musical",
)  # fmt: skip
AGE_BUCKETS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "BR", "IN", "JP", "PL")
GENDERS = ("f", "m", "x")
BLACKLIST_REASONS = ("rights expired", "legal request", "duplicate entry", "content warning", "region lock")
N_USERS = 3000
N_TITLES = 2000
N_HIDDEN = 8
HISTORY_DAYS = 120
MIN_EVENTS = 5
_REPEAT_SHARE = 0.03
TYPE_NAMES = ("view", "rating", "bookmark")
TYPE_SHARES = (0.55, 0.30, 0.15)
TASTE_SCALE = 1.6  # weight of affinity in the event softmax
POPULARITY_SCALE = 0.6  # moderate: popularity helps but does not dominate


@dataclass(frozen=True, slots=True)
class DemoSummary:
    path: Path
    seed: int
    n_users: int
    n_titles: int
    n_interactions: int
    anchor: datetime
    seconds: float


def ensure_demo_source(path: Path, seed: int = 7) -> bool:
    """Create the demo source unless the file exists; return whether it was created."""
    if path.exists():
        return False
    generate_demo_source(path, seed)
    return True


def generate_demo_source(path: Path, seed: int = 7) -> DemoSummary:
    """Write the demo catalogue to `path` (a temporary file renamed into place when complete)."""
    started = time.perf_counter()
    anchor = datetime.now(UTC).replace(microsecond=0)
    rng = np.random.default_rng(seed)
    users = _users(rng)
    titles = _titles(rng)
    events = _events(rng, users, titles, anchor)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, _rows(rng, users, titles, events))
    return DemoSummary(
        path, seed, N_USERS, N_TITLES, len(events["user"]), anchor, time.perf_counter() - started
    )


def _users(rng: np.random.Generator) -> dict[str, np.ndarray]:
    age = rng.integers(0, len(AGE_BUCKETS), N_USERS)
    country = rng.integers(0, len(COUNTRIES), N_USERS)
    gender = rng.choice(len(GENDERS), N_USERS, p=(0.48, 0.48, 0.04))
    n_genres = len(GENRES)
    by_attribute = (
        rng.normal(0, 1.0, (len(AGE_BUCKETS), n_genres))[age]
        + rng.normal(0, 0.7, (len(COUNTRIES), n_genres))[country]
        + rng.normal(0, 0.8, (len(GENDERS), n_genres))[gender]
    )
    taste = by_attribute / 1.4 + rng.normal(0, 0.6, (N_USERS, n_genres))
    hidden = rng.normal(0, 1 / np.sqrt(N_HIDDEN), (N_USERS, N_HIDDEN))
    return {"age": age, "country": country, "gender": gender, "taste": taste, "hidden": hidden}


def _titles(rng: np.random.Generator) -> dict[str, np.ndarray]:
    n_genres = len(GENRES)
    genre_count = rng.choice((1, 2, 3), N_TITLES, p=(0.45, 0.4, 0.15))
    share = rng.dirichlet(np.full(n_genres, 4.0))  # some genres are more common than others
    genres = np.zeros((N_TITLES, n_genres))
    primary = np.empty(N_TITLES, dtype=np.int64)
    for index, count in enumerate(genre_count):
        picked = rng.choice(n_genres, count, replace=False, p=share)
        genres[index, picked] = 1.0
        primary[index] = picked[0]
    return {
        "genres": genres / np.sqrt(genre_count)[:, None],
        "primary": primary,
        "hidden": rng.normal(0, 1.0, (N_TITLES, N_HIDDEN)),
        "popularity": rng.normal(0, 1.0, N_TITLES),
        "active": rng.random(N_TITLES) >= 0.02,
    }


def _events(
    rng: np.random.Generator, users: dict[str, np.ndarray], titles: dict[str, np.ndarray], anchor: datetime
) -> dict[str, np.ndarray]:
    affinity = users["taste"] @ titles["genres"].T + 0.8 * users["hidden"] @ titles["hidden"].T
    user_index, title_index = _draw_pairs(rng, affinity, titles["popularity"])
    n = len(user_index)
    kinds = rng.choice(len(TYPE_NAMES), n, p=TYPE_SHARES)
    # A rating grows with how much the user likes the title compared with the whole catalogue.
    z = (affinity[user_index, title_index] - affinity.mean(axis=1)[user_index]) / affinity.std(axis=1)[
        user_index
    ]
    scores = np.clip(np.rint(2.4 + 0.9 * z + rng.normal(0, 0.8, n)), 1, 5)
    age_seconds = rng.integers(0, HISTORY_DAYS * 86_400, n)
    when = np.datetime64(anchor.replace(tzinfo=None), "s") - age_seconds.astype("timedelta64[s]")
    chronological = np.argsort(when, kind="stable")
    return {
        "user": user_index[chronological] + 1,
        "title": title_index[chronological] + 1,
        "kind": kinds[chronological],
        "score": scores[chronological],
        "when": np.char.replace(np.datetime_as_string(when[chronological], unit="s"), "T", " "),
    }


def _draw_pairs(
    rng: np.random.Generator, affinity: np.ndarray, popularity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(user, title) indices: each user's titles drawn without replacement from a softmax (Gumbel top-k)."""
    logits = TASTE_SCALE * affinity + POPULARITY_SCALE * popularity[None, :]
    order = np.argsort(-(logits + rng.gumbel(size=logits.shape)), axis=1)
    counts = MIN_EVENTS + np.minimum(np.rint(rng.lognormal(np.log(35), 0.7, N_USERS)), 300).astype(int)
    user_index, rank = np.nonzero(np.arange(N_TITLES)[None, :] < counts[:, None])
    title_index = order[user_index, rank]
    repeat = rng.random(len(user_index)) < _REPEAT_SHARE  # a few titles come back a second time
    return (
        np.concatenate([user_index, user_index[repeat]]),
        np.concatenate([title_index, title_index[repeat]]),
    )


def _rows(
    rng: np.random.Generator,
    users: dict[str, np.ndarray],
    titles: dict[str, np.ndarray],
    events: dict[str, np.ndarray],
) -> dict[str, list[tuple[Any, ...]]]:
    title_ids = range(1, N_TITLES + 1)
    banned = rng.choice(np.flatnonzero(titles["active"]) + 1, len(BLACKLIST_REASONS), replace=False)
    return {
        "titles": [
            (tid, f"Title {tid} ({GENRES[primary]})", bool(active))
            for tid, primary, active in zip(title_ids, titles["primary"], titles["active"], strict=True)
        ],
        "title_features": [
            (tid, f"genre:{GENRES[genre].lower()}", 1.0)
            for tid, row in zip(title_ids, titles["genres"], strict=True)
            for genre in np.flatnonzero(row)
        ],
        "users": [(user_id,) for user_id in range(1, N_USERS + 1)],
        "user_features": _user_feature_rows(users),
        "interactions": _interaction_rows(events),
        "blacklist": [
            (int(tid), reason) for tid, reason in zip(sorted(banned), BLACKLIST_REASONS, strict=True)
        ],
    }


def _user_feature_rows(users: dict[str, np.ndarray]) -> list[tuple[Any, ...]]:
    attributes = zip(range(1, N_USERS + 1), users["age"], users["country"], users["gender"], strict=True)
    return [
        (user_id, feature, 1.0)
        for user_id, age, country, gender in attributes
        for feature in (
            f"age:{AGE_BUCKETS[age]}",
            f"country:{COUNTRIES[country]}",
            f"gender:{GENDERS[gender]}",
        )
    ]


def _interaction_rows(events: dict[str, np.ndarray]) -> list[tuple[Any, ...]]:
    rated = events["kind"] == TYPE_NAMES.index("rating")
    scores = [
        float(score) if is_rating else None for score, is_rating in zip(events["score"], rated, strict=True)
    ]
    return list(
        zip(
            events["user"].tolist(),
            events["title"].tolist(),
            [TYPE_NAMES[kind] for kind in events["kind"]],
            scores,
            events["when"].tolist(),
            strict=True,
        )
    )


_INSERTED_COLUMNS = {
    "titles": columns.TITLE_COLUMNS,
    "title_features": columns.TITLE_FEATURE_COLUMNS,
    "users": columns.USER_COLUMNS,
    "user_features": columns.USER_FEATURE_COLUMNS,
    "interactions": columns.INTERACTION_COLUMNS,
    "blacklist": columns.BLACKLIST_COLUMNS,
}


def _write_atomically(path: Path, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(temporary)) as conn:
            conn.executescript(TABLES_SQL)
            with conn:  # one transaction for every row
                for table, columns in _INSERTED_COLUMNS.items():
                    marks = ", ".join("?" for _ in columns)
                    conn.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows[table]
                    )
            conn.executescript(INDEXES_SQL)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise

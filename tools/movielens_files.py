"""Reading MovieLens 100k files (`u.data`, `u.item`, `u.user`, optional `u.genre`) into frames.

`u.item` is Latin-1; blank lines anywhere are skipped. Nothing here writes anywhere.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

# The genre flags of u.item, in order, when no u.genre file says otherwise.
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
)  # fmt: skip
AGE_BUCKETS = ((18, "under-18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"))
OLDEST_BUCKET = "65+"
ENCODING = "latin-1"
RATINGS_FILE, ITEMS_FILE, USERS_FILE, GENRES_FILE = "u.data", "u.item", "u.user", "u.genre"


class MovieLensFormatError(ValueError):
    """A file is missing or not in the MovieLens 100k format."""


def _read(path: Path, sep: str, names: list[str], chunksize: int | None = None) -> pd.DataFrame:
    if not path.is_file():
        raise MovieLensFormatError(f"{path} is missing")
    try:
        frame: pd.DataFrame = pd.read_csv(
            path,
            sep=sep,
            header=None,
            names=names,
            encoding=ENCODING,
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=True,
            dtype=str,
            keep_default_na=False,
            index_col=False,
            chunksize=chunksize,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise MovieLensFormatError(f"{path} is not a MovieLens file: {exc}") from None
    return frame


def genre_names(directory: Path) -> tuple[str, ...]:
    path = directory / GENRES_FILE
    if not path.is_file():
        return GENRES
    frame = _read(path, "|", ["name", "index"])
    return tuple(frame.sort_values("index", key=lambda s: s.astype(int))["name"].tolist())


def count_ratings(directory: Path) -> int:
    """Non-blank lines of u.data (for progress), counted without parsing."""
    total = 0
    with (directory / RATINGS_FILE).open("rb") as handle:
        for line in handle:
            total += bool(line.strip())
    return total


def ratings(directory: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """u.data in chunks: user_id, title_id int64, raw_score float64, created_at (UTC, naive)."""
    names = ["user_id", "title_id", "rating", "timestamp"]
    for chunk in _read(directory / RATINGS_FILE, "\t", names, chunksize=chunk_rows):
        try:
            stamps = pd.to_datetime(chunk["timestamp"].astype(np.int64), unit="s", utc=True)
            yield pd.DataFrame(
                {
                    "user_id": chunk["user_id"].astype(np.int64).to_numpy(),
                    "title_id": chunk["title_id"].astype(np.int64).to_numpy(),
                    "raw_score": chunk["rating"].astype(np.float64).to_numpy(),
                    "created_at": stamps.dt.tz_convert(None).to_numpy(),
                }
            )
        except ValueError as exc:
            raise MovieLensFormatError(f"{directory / RATINGS_FILE}: {exc}") from None


def items(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """u.item: titles (id, name) and their `genre:<name>` features (title_id, feature)."""
    genres = genre_names(directory)
    names = ["id", "name", "released", "video_released", "url", *[f"g{i}" for i in range(len(genres))]]
    frame = _read(directory / ITEMS_FILE, "|", names)
    ids = frame["id"].astype(np.int64).to_numpy()
    titles = pd.DataFrame({"id": ids, "name": frame["name"].str.strip().to_numpy()})
    flags = frame[[f"g{i}" for i in range(len(genres))]].to_numpy() == "1"
    rows, cols = np.nonzero(flags)
    features = pd.DataFrame(
        {"title_id": ids[rows], "feature": [f"genre:{genres[c].lower()}" for c in cols.tolist()]}
    )
    return titles, features


def age_bucket(age: int) -> str:
    for limit, name in AGE_BUCKETS:
        if age < limit:
            return name
    return OLDEST_BUCKET


def users(directory: Path) -> tuple[np.ndarray, pd.DataFrame]:
    """u.user: ids and features `age:<bucket>`, `gender:<m|f>`, `occupation:<name>`."""
    frame = _read(directory / USERS_FILE, "|", ["id", "age", "gender", "occupation", "zip"])
    ids = frame["id"].astype(np.int64).to_numpy()
    ages = [f"age:{age_bucket(int(age))}" for age in frame["age"].tolist()]
    genders = [f"gender:{g.strip().lower()}" for g in frame["gender"].tolist()]
    jobs = [f"occupation:{o.strip().lower()}" for o in frame["occupation"].tolist()]
    features = pd.DataFrame(
        {"user_id": np.concatenate([ids, ids, ids]), "feature": ages + genders + jobs}
    ).sort_values(["user_id"], kind="stable", ignore_index=True)
    return ids, features

"""MovieLens 100k for the quality benchmark: loaded by the project's loader, split by a protocol
(`quality_protocols.py`). The held-out ratings (and, for `cold`, the users' rows) are deleted from a
copy of the loaded source, so the service trains only on the rest.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bench.quality_protocols import POSITIVE_MIN, holdout
from tools.movielens_loader import load_movielens


@dataclass(frozen=True)
class Split:
    """One protocol's split, as matrices over `user_ids` x `title_ids` (rows and columns by id order)."""

    name: str
    user_ids: np.ndarray
    title_ids: np.ndarray
    train: pd.DataFrame  # the ratings the service sees (any score)
    train_positive: sp.csr_matrix  # bool: training positives (the protocol's "training titles")
    train_seen: sp.csr_matrix  # bool: every rated training title (what the service excludes)
    test: sp.csr_matrix  # bool: held-out positives
    source_path: Path  # the SQLite source holding `train` only
    positive_min: float  # the lowest rating that is a positive under this protocol
    new_users: np.ndarray  # rows of the users removed from the source (the `cold` protocol), sorted

    @property
    def eval_users(self) -> np.ndarray:
        return np.flatnonzero(np.diff(self.test.indptr))


def load_ratings(ml_dir: Path, db_path: Path) -> pd.DataFrame:
    """Load with the project's loader into a new SQLite file; return its interactions table."""
    asyncio.run(load_movielens(ml_dir, f"sqlite:///{db_path}"))
    with sqlite3.connect(db_path) as conn:
        frame = pd.read_sql_query(
            "SELECT id, user_id, title_id, raw_score, created_at FROM interactions", conn
        )
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


def catalogue(db_path: Path) -> tuple[np.ndarray, np.ndarray]:
    with sqlite3.connect(db_path) as conn:
        users = np.sort(pd.read_sql_query("SELECT id FROM users", conn)["id"].to_numpy(np.int64))
        titles = np.sort(pd.read_sql_query("SELECT id FROM titles", conn)["id"].to_numpy(np.int64))
    return users, titles


def make_split(protocol: str, ratings: pd.DataFrame, full_db: Path, workdir: Path, seed: int) -> Split:
    held = holdout(ratings, protocol, seed)
    users, titles = catalogue(full_db)  # before any deletion: removed users keep their rows here
    source = workdir / f"source_{protocol}.db"
    shutil.copyfile(full_db, source)
    with sqlite3.connect(source) as conn:
        conn.executemany("DELETE FROM interactions WHERE id = ?", [(int(i),) for i in held.interaction_ids])
        conn.executemany("DELETE FROM users WHERE id = ?", [(int(u),) for u in held.removed_users])
    is_held = ratings["id"].isin(held.interaction_ids).to_numpy()
    train, test = ratings[~is_held], ratings[is_held]
    positive_min = POSITIVE_MIN[protocol]
    return Split(
        name=protocol,
        user_ids=users,
        title_ids=titles,
        train=train.reset_index(drop=True),
        train_positive=_pairs(train[train["raw_score"] >= positive_min], users, titles),
        train_seen=_pairs(train, users, titles),
        test=_pairs(test[test["raw_score"] >= positive_min], users, titles),
        source_path=source,
        positive_min=positive_min,
        new_users=np.searchsorted(users, held.removed_users),
    )


def _pairs(frame: pd.DataFrame, users: np.ndarray, titles: np.ndarray) -> sp.csr_matrix:
    rows = np.searchsorted(users, frame["user_id"].to_numpy(np.int64))
    cols = np.searchsorted(titles, frame["title_id"].to_numpy(np.int64))
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(users), len(titles)))
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix

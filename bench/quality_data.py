"""MovieLens 100k for the quality benchmark: loaded by the project's loader, split by the protocol.

The protocol: positives are ratings >= 4; every user with n >= 2 positives has round(0.2 n)
of them (at least 1) held out, either at random with a fixed seed or the most recent ones. The
held-out ratings are deleted from a copy of the loaded source, so the service trains only on the
rest; low ratings always stay in training (they are seen, never positives).
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

from tools.movielens_loader import load_movielens

POSITIVE_MIN = 4.0
HOLDOUT_FRACTION = 0.2


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


def held_out_ids(ratings: pd.DataFrame, protocol: str, seed: int) -> np.ndarray:
    """Interaction ids of the held-out positives under `protocol` ("random" or "time")."""
    positives = ratings[ratings["raw_score"] >= POSITIVE_MIN]
    if protocol == "random":
        rng = np.random.default_rng(seed)
        order = positives.assign(key=rng.random(len(positives))).sort_values(["user_id", "key"])
    elif protocol == "time":  # newest first; ties broken by id for a stable split
        order = positives.sort_values(["user_id", "created_at", "id"], ascending=[True, False, False])
    else:
        raise ValueError(f"unknown protocol {protocol!r}")
    n = order.groupby("user_id")["id"].transform("size").to_numpy()
    quota = np.where(n >= 2, np.maximum(1, np.round(HOLDOUT_FRACTION * n)), 0)
    rank = order.groupby("user_id").cumcount().to_numpy()
    return np.sort(order["id"].to_numpy()[rank < quota])


def make_split(
    name: str, ratings: pd.DataFrame, full_db: Path, workdir: Path, protocol: str, seed: int
) -> Split:
    held = held_out_ids(ratings, protocol, seed)
    source = workdir / f"source_{name}.db"
    shutil.copyfile(full_db, source)
    with sqlite3.connect(source) as conn:
        conn.executemany("DELETE FROM interactions WHERE id = ?", [(int(i),) for i in held])
    users, titles = catalogue(source)
    is_held = ratings["id"].isin(held).to_numpy()
    train, test = ratings[~is_held], ratings[is_held]
    return Split(
        name=name,
        user_ids=users,
        title_ids=titles,
        train=train.reset_index(drop=True),
        train_positive=_pairs(train[train["raw_score"] >= POSITIVE_MIN], users, titles),
        train_seen=_pairs(train, users, titles),
        test=_pairs(test, users, titles),
        source_path=source,
    )


def _pairs(frame: pd.DataFrame, users: np.ndarray, titles: np.ndarray) -> sp.csr_matrix:
    rows = np.searchsorted(users, frame["user_id"].to_numpy(np.int64))
    cols = np.searchsorted(titles, frame["title_id"].to_numpy(np.int64))
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(users), len(titles)))
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix

"""Which ratings each protocol of the quality benchmark holds out.

- `random` / `time` (issue 7): positives are ratings >= 4; every user with n >= 2 positives has
  round(0.2 n) of them (at least 1) held out, at random with a fixed seed or the newest ones; low
  ratings stay in training (seen, never positives).
- `public` (Microsoft Recommenders' MovieLens 100k table): every rating is an interaction; each user's
  ratings are shuffled with a fixed seed and the first round(0.75 n) are kept for training, the rest
  held out (a per-user, stratified 75/25 split).
- `cold`: a seeded 10 % of users lose every interaction and their row in `users` (their features stay
  in `user_features`), as users who signed up after the training: the service can serve them only
  from their features. Their ratings >= 4 are the held-out positives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HOLDOUT_FRACTION = 0.2
PUBLIC_TRAIN_FRACTION = 0.75
COLD_USER_FRACTION = 0.1
POSITIVE_MIN = {"random": 4.0, "time": 4.0, "public": 1.0, "cold": 4.0}


@dataclass(frozen=True)
class Holdout:
    interaction_ids: np.ndarray  # sorted ids of the held-out interactions
    removed_users: np.ndarray  # user ids whose `users` row is deleted too (the `cold` protocol)


def holdout(ratings: pd.DataFrame, protocol: str, seed: int) -> Holdout:
    none = np.zeros(0, dtype=np.int64)
    if protocol in ("random", "time"):
        return Holdout(_positives_holdout(ratings, protocol, seed), none)
    if protocol == "public":
        return Holdout(_public_holdout(ratings, seed), none)
    if protocol == "cold":
        users = np.sort(ratings["user_id"].unique())
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(users, size=round(COLD_USER_FRACTION * len(users)), replace=False))
        ids = ratings.loc[ratings["user_id"].isin(chosen), "id"].to_numpy()
        return Holdout(np.sort(ids), chosen.astype(np.int64))
    raise ValueError(f"unknown protocol {protocol!r}")


def _positives_holdout(ratings: pd.DataFrame, protocol: str, seed: int) -> np.ndarray:
    positives = ratings[ratings["raw_score"] >= POSITIVE_MIN[protocol]]
    if protocol == "random":
        rng = np.random.default_rng(seed)
        order = positives.assign(key=rng.random(len(positives))).sort_values(["user_id", "key"])
    else:  # newest first; ties broken by id for a stable split
        order = positives.sort_values(["user_id", "created_at", "id"], ascending=[True, False, False])
    n = order.groupby("user_id")["id"].transform("size").to_numpy()
    quota = np.where(n >= 2, np.maximum(1, np.round(HOLDOUT_FRACTION * n)), 0)
    rank = order.groupby("user_id").cumcount().to_numpy()
    return np.sort(order["id"].to_numpy()[rank < quota])


def _public_holdout(ratings: pd.DataFrame, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    order = ratings.assign(key=rng.random(len(ratings))).sort_values(["user_id", "key"])
    n = order.groupby("user_id")["id"].transform("size").to_numpy()
    rank = order.groupby("user_id").cumcount().to_numpy()
    return np.sort(order["id"].to_numpy()[rank >= np.round(PUBLIC_TRAIN_FRACTION * n)])

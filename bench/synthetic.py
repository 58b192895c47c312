"""A deterministic synthetic site: power-law title popularity, latent tastes, several interaction types.

Same `Spec` (sizes and seed), same rows, on any machine. Each user has a taste vector and a
power-law activity; each event picks its title among a few candidates drawn by (power-law)
popularity, the one that best fits the user's taste winning (Gumbel noise keeps it stochastic). Events
are `rating` (raw_score 1..5 from the fit), `view` and `bookmark`, spread over a year. Titles get 1-3
genre features derived from their latent vector, users an age bucket and a country.

Usage: .venv/bin/python -m bench.synthetic_load --interactions 1000000  (writes into MariaDB)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

DIMENSIONS = 16
CANDIDATES = 4  # popularity-drawn candidates per event; taste picks one
TITLE_ZIPF = 0.8  # popularity of the title of rank r ~ r ** -TITLE_ZIPF
USER_SIGMA = 1.1  # log-normal spread of user activity
TYPES = np.array(["rating", "view", "bookmark"])
TYPE_SHARES = np.array([0.5, 0.38, 0.12])
GENRES = 24
START_SECONDS = 1_735_689_600  # 2025-01-01 UTC
SPAN_SECONDS = 365 * 86_400
CHUNK = 1_000_000
VERSION = 2  # bump when the generator changes: a database holding an older version is reloaded


@dataclass(frozen=True, slots=True)
class Spec:
    interactions: int = 1_000_000
    users: int = 100_000
    titles: int = 20_000
    seed: int = 20_240_601

    def key(self) -> str:
        return ",".join([f"v{VERSION}", *(f"{k}={v}" for k, v in asdict(self).items())])


class SyntheticSite:
    """The latent world of one `Spec`; its tables are generated chunk by chunk."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        rng = np.random.default_rng(spec.seed)
        self.user_taste = rng.normal(size=(spec.users, DIMENSIONS)).astype(np.float32)
        self.title_taste = rng.normal(size=(spec.titles, DIMENSIONS)).astype(np.float32)
        ranks = rng.permutation(spec.titles) + 1
        popularity = ranks.astype(np.float64) ** -TITLE_ZIPF
        self.title_cdf = np.cumsum(popularity / popularity.sum())
        activity = rng.lognormal(0.0, USER_SIGMA, spec.users)
        self.user_cdf = np.cumsum(activity / activity.sum())
        self._rng = rng

    # --- catalogue ----------------------------------------------------------------------
    def titles(self) -> pd.DataFrame:
        ids = np.arange(1, self.spec.titles + 1, dtype=np.int64)
        active = self._rng.random(self.spec.titles) >= 0.01  # 1 % retired titles
        return pd.DataFrame({"id": ids, "name": [f"Title {i}" for i in ids.tolist()], "is_active": active})

    def title_features(self) -> pd.DataFrame:
        """1-3 genres per title: the strongest latent directions (so features carry signal)."""
        n = self.spec.titles
        projection = self.title_taste @ np.random.default_rng(self.spec.seed + 1).normal(
            size=(DIMENSIONS, GENRES)
        )
        order = np.argsort(-projection, axis=1)[:, :3]
        count = self._rng.integers(1, 4, n)
        rows = np.repeat(np.arange(n), count)
        rank = np.concatenate([np.arange(c) for c in count.tolist()])
        genre = order[rows, rank]
        return pd.DataFrame(
            {"title_id": rows + 1, "feature": [f"genre:g{g:02d}" for g in genre.tolist()], "weight": 1.0}
        )

    def users(self) -> pd.DataFrame:
        return pd.DataFrame({"id": np.arange(1, self.spec.users + 1, dtype=np.int64)})

    def user_features(self) -> pd.DataFrame:
        n = self.spec.users
        ids = np.arange(1, n + 1, dtype=np.int64)
        age = (self.user_taste[:, 0] > 0).astype(int) * 2 + self._rng.integers(0, 2, n)
        country = self._rng.integers(0, 12, n)
        return pd.DataFrame(
            {
                "user_id": np.concatenate([ids, ids]),
                "feature": [f"age:{a}" for a in age.tolist()] + [f"country:c{c}" for c in country.tolist()],
                "weight": 1.0,
            }
        )

    def blacklist(self) -> pd.DataFrame:
        ids = np.arange(7, self.spec.titles, max(1, self.spec.titles // 20), dtype=np.int64)[:20]
        return pd.DataFrame({"title_id": ids, "reason": "synthetic"})

    # --- events -------------------------------------------------------------------------
    def interactions(self) -> Iterator[pd.DataFrame]:
        """The events in chunks (each chunk from its own seeded generator: order-independent)."""
        total = self.spec.interactions
        for number, start in enumerate(range(0, total, CHUNK)):
            size = min(CHUNK, total - start)
            yield self._events(np.random.default_rng([self.spec.seed, number]), size)

    def _events(self, rng: np.random.Generator, size: int) -> pd.DataFrame:
        users = np.minimum(np.searchsorted(self.user_cdf, rng.random(size)), self.spec.users - 1)
        candidates = np.minimum(
            np.searchsorted(self.title_cdf, rng.random((size, CANDIDATES))), self.spec.titles - 1
        )
        fit = np.einsum("nd,ncd->nc", self.user_taste[users], self.title_taste[candidates]) / 4.0
        pick = np.argmax(fit + rng.gumbel(size=fit.shape), axis=1)
        titles = candidates[np.arange(size), pick]
        affinity = fit[np.arange(size), pick]
        kinds = rng.choice(len(TYPES), size=size, p=TYPE_SHARES)
        stars = np.clip(np.rint(3.2 + 1.1 * affinity + rng.normal(0, 0.8, size)), 1, 5)
        score = np.where(kinds == 0, stars, np.nan).astype(np.float32)
        seconds = START_SECONDS + np.sort(rng.integers(0, SPAN_SECONDS, size))
        return pd.DataFrame(
            {
                "user_id": users + 1,
                "title_id": titles + 1,
                "int_type": TYPES[kinds],
                "raw_score": score,
                "created_at": pd.to_datetime(seconds, unit="s"),
            }
        )

"""`FeatureSource` from memory: every user's and title's features, read whole and refreshed periodically.

With REC_SEEN_FROM=memory a cache miss of a user the model does not know (cold start) reads that
user's features from here instead of the source. `refresh` reads each feature query in one
statement and swaps in new arrays; until the first refresh succeeds, lookups go to the source.
Rows count as in `SqlAlchemyFeatureSource`: names add up per owner, rows with a missing, zero or
non-finite weight count for nothing.

Memory: per owner an id and an offset (8 bytes each), per (owner, feature) a name code (int32) and
a weight (float32); names are held once.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from application.ports import FeatureOwner, FeatureRows, FeatureSource


@dataclass(frozen=True, slots=True)
class FeatureArrays:
    owners: npt.NDArray[np.int64]  # ascending, distinct
    offsets: npt.NDArray[np.int64]  # len(owners) + 1
    codes: npt.NDArray[np.int32]  # into `names`
    weights: npt.NDArray[np.float32]
    names: tuple[str, ...]

    @classmethod
    def of(cls, rows: FeatureRows) -> FeatureArrays:
        kept = [
            (owner, name, float(weight))
            for owner, name, weight in zip(rows.owners, rows.features, rows.weights, strict=True)
            if name is not None and weight is not None and math.isfinite(weight) and weight != 0
        ]
        if not kept:
            return cls(
                np.empty(0, np.int64),
                np.zeros(1, np.int64),
                np.empty(0, np.int32),
                np.empty(0, np.float32),
                (),
            )
        codes_of: dict[str, int] = {}
        owners = np.fromiter((r[0] for r in kept), np.int64, len(kept))
        codes = np.fromiter((codes_of.setdefault(r[1], len(codes_of)) for r in kept), np.int64, len(kept))
        weights = np.fromiter((r[2] for r in kept), np.float64, len(kept))
        order = np.lexsort((codes, owners))
        owners, codes, weights = owners[order], codes[order], weights[order]
        # one entry per (owner, name): repeated names add up
        starts = np.flatnonzero(np.r_[True, (owners[1:] != owners[:-1]) | (codes[1:] != codes[:-1])])
        summed = np.add.reduceat(weights, starts)
        owners, codes = owners[starts], codes[starts]
        distinct = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        offsets = np.append(distinct, len(owners)).astype(np.int64)
        return cls(
            owners[distinct].astype(np.int64),
            offsets,
            codes.astype(np.int32),
            summed.astype(np.float32),
            tuple(codes_of),
        )

    @property
    def nbytes(self) -> int:
        return int(self.owners.nbytes + self.offsets.nbytes + self.codes.nbytes + self.weights.nbytes)

    def features_of(self, owner: int) -> dict[str, float]:
        at = int(np.searchsorted(self.owners, owner))
        if at == len(self.owners) or int(self.owners[at]) != owner:
            return {}
        begin, end = int(self.offsets[at]), int(self.offsets[at + 1])
        names = self.names
        return {
            names[code]: float(weight)
            for code, weight in zip(
                self.codes[begin:end].tolist(), self.weights[begin:end].tolist(), strict=True
            )
        }


class InMemoryFeatures(FeatureSource):
    """The source's features held in this process; `source` answers until the first refresh."""

    def __init__(self, source: FeatureSource) -> None:
        self._source = source
        self._held: dict[FeatureOwner, FeatureArrays] = {}

    @property
    def loaded(self) -> bool:
        return len(self._held) == 2

    @property
    def nbytes(self) -> int:
        return sum(arrays.nbytes for arrays in self._held.values())

    async def refresh(self) -> None:
        """Read both feature queries whole and swap the copies in (raises SourceUnavailableError)."""
        for owner in ("user", "title"):
            rows = await self._source.all_features(owner)
            self._held[owner] = await asyncio.to_thread(FeatureArrays.of, rows)

    async def user_features(self, user_id: int) -> Mapping[str, float]:
        return await self._lookup("user", user_id)

    async def title_features(self, title_id: int) -> Mapping[str, float]:
        return await self._lookup("title", title_id)

    async def all_features(self, owner: FeatureOwner) -> FeatureRows:
        return await self._source.all_features(owner)

    async def _lookup(self, owner: FeatureOwner, owner_id: int) -> Mapping[str, float]:
        held = self._held.get(owner)
        if held is not None:
            return held.features_of(owner_id)
        if owner == "user":
            return await self._source.user_features(owner_id)
        return await self._source.title_features(owner_id)

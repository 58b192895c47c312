"""What changes a scorer after activation: users moved by hot events, titles added by their features.

Both are overlays over the model's immutable arrays, each changed by one assignment (the caller holds
the scorer's lock), so a reader sees the state before or after a change, never half of it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from adapters.lightfm_engine.fold_in import fold_in, step_size
from adapters.lightfm_engine.ranking import Items, NamedFeatures, frozen, row_of
from adapters.lightfm_engine.vectors import F32, augment, unit_rows

MAX_FOLDED_USERS = 100_000  # users whose representation hot events changed, least recent dropped first


class FoldedUsers:
    """The representations hot events moved (see `fold_in.py`): a bounded LRU by user id."""

    def __init__(self, items: Items) -> None:
        self._moved: OrderedDict[int, F32] = OrderedDict()
        self._rate = step_size(items.aug)

    def get(self, user_id: int) -> F32 | None:
        return self._moved.get(user_id)

    def __contains__(self, user_id: int) -> bool:
        return user_id in self._moved

    def move(self, user_id: int, start: F32, items: Items, item_row: int, weight: float) -> None:
        """Move `start` (the user's current ``[u, b_u, 1]``) toward title row `item_row`. The negatives
        are drawn from a generator seeded by (user, title), so every replica moves a user alike."""
        title_id = int(items.ids[item_row])
        rng = np.random.default_rng([user_id, title_id])
        self._moved[user_id] = fold_in(start, items.aug, item_row, weight, self._rate, rng)
        self._moved.move_to_end(user_id)
        while len(self._moved) > MAX_FOLDED_USERS:
            self._moved.popitem(last=False)


def feature_start(width: int, named: NamedFeatures, features: Mapping[str, float], normalize: bool) -> F32:
    """``[latent, bias, 1]`` of a user new to the model: their features' representation, or zero."""
    start = np.zeros(width, dtype=np.float32)
    start[-1] = 1.0
    found = named.vector(features, normalize)
    if found is not None:
        start[:-2], start[-2] = found
    return start


def with_titles(
    items: Items, named: NamedFeatures, features: Mapping[int, Mapping[str, float]], normalize: bool
) -> tuple[Items, int]:
    """`items` grown by the titles of `features` it does not know, represented by their named
    features (titles without a known feature are skipped); and how many were added."""
    rows = [
        (title_id, found)
        for title_id, given in sorted(features.items())
        if 0 < title_id < 2**63
        and row_of(items.ids, title_id) is None
        and (found := named.vector(given, normalize)) is not None
    ]
    if not rows:
        return items, 0
    latent = np.vstack([found[0] for _, found in rows]).astype(np.float32)
    bias = np.array([found[1] for _, found in rows], dtype=np.float32)
    ids = np.concatenate([items.ids, np.array([t for t, _ in rows], dtype=np.int64)])
    aug = np.vstack([items.aug, augment(latent, bias, user_side=False)])
    unit = np.vstack([items.unit, unit_rows(latent)])
    order = np.argsort(ids, kind="stable")
    return Items(frozen(ids[order]), aug[order], unit[order]), len(rows)

"""The validation split of a search, taken from the training data only.

The engine's own evaluation holdout (same seed and draw as `LightFMEngine._plan`) is left out of the
search entirely: the version trained from the best trial then reports holdout figures that the
search never looked at. Of the remaining positives, a further seeded share per user is validation;
trials fit on the rest. Ranking excludes every seen title except the validation ones, as serving does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from adapters.lightfm_engine.evaluate import pair_matrix, split_holdout, without
from adapters.lightfm_engine.prepare import Prepared

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ValidationSplit:
    fit: Mask  # positives a trial trains on
    heldout: sp.csr_matrix  # validation pairs of the sampled users (bool)
    exclude: sp.csr_matrix  # titles never ranked for a user
    positives: int  # validation positives scored

    @property
    def users(self) -> int:
        return int(np.count_nonzero(np.diff(self.heldout.indptr)))


def validation_split(
    prepared: Prepared, seed: int, fraction: float, max_users: int, draw: int = 1
) -> ValidationSplit:
    """Draw number `draw` of the validation split (the search's is 1, its confirmation's 2)."""
    rows, cols = prepared.pos_rows, prepared.pos_cols
    n_users = prepared.shape[0]
    engine_holdout = split_holdout(rows, n_users, fraction, np.random.default_rng(seed))
    rest = np.flatnonzero(~engine_holdout)
    rng = np.random.default_rng([seed, draw])
    picked = split_holdout(rows[rest], n_users, fraction, rng)
    validation = np.zeros(len(rows), dtype=bool)
    validation[rest[picked]] = True
    all_validation = pair_matrix(rows[validation], cols[validation], prepared.shape)
    users = np.flatnonzero(np.diff(all_validation.indptr))
    if len(users) > max_users:  # scoring every few epochs must stay cheap on large catalogues
        users = np.sort(rng.choice(users, size=max_users, replace=False))
    scored = validation & np.isin(rows, users)
    return ValidationSplit(
        fit=~(engine_holdout | validation),
        heldout=pair_matrix(rows[scored], cols[scored], prepared.shape),
        exclude=without(prepared.seen, all_validation),
        positives=int(np.count_nonzero(scored)),
    )

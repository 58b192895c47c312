"""The raw columns read from the source for one training (the `TrainingData` the engine consumes).

Columns are pandas/numpy arrays, never one Python object per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from domain.model_version import DatasetStats

INTERACTION_COLUMNS = ("user_id", "title_id", "int_type", "raw_score", "created_at")
TITLE_COLUMNS = ("id", "name", "is_active")
TITLE_FEATURE_COLUMNS = ("title_id", "feature", "weight")
USER_COLUMNS = ("id",)
USER_FEATURE_COLUMNS = ("user_id", "feature", "weight")
BLACKLIST_COLUMNS = ("title_id", "reason")


@dataclass(frozen=True, slots=True)
class SourceTables:
    """One consistent read of the source.

    - interactions: user_id int64, title_id int64, int_type str (object or category),
      raw_score float64 (NaN for NULL), created_at datetime64[ns] (UTC, tz-naive)
    - titles: id int64, is_active bool
    - title_features / user_features: title_id|user_id int64, feature str, weight float64
    - users: id int64
    """

    interactions: pd.DataFrame
    titles: pd.DataFrame
    title_features: pd.DataFrame
    users: pd.DataFrame
    user_features: pd.DataFrame

    @property
    def stats(self) -> DatasetStats:
        return DatasetStats(
            n_users=int(self.users["id"].nunique())
            if len(self.users)
            else int(self.interactions["user_id"].nunique()),
            n_items=len(self.titles),
            n_interactions=len(self.interactions),
        )

    @property
    def cutoff(self) -> datetime | None:
        if len(self.interactions) == 0:
            return None
        newest = pd.Timestamp(self.interactions["created_at"].max())
        moment: datetime = newest.to_pydatetime()
        return moment.replace(tzinfo=UTC)

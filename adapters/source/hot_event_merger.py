"""Hot events appended to one read of the source (`SourceTables`), for the next training."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from adapters.source.tables import SourceTables
from application.ports import TrainingData, TrainingDataMerger
from domain.interaction import Interaction


class SourceTablesEventMerger(TrainingDataMerger):
    def with_events(self, data: TrainingData, events: Sequence[Interaction]) -> TrainingData:
        """Events on titles the source does not list are left out: such a title cannot be served, and
        the event stays in the store for the training that sees the title."""
        if not isinstance(data, SourceTables):
            raise TypeError(f"SourceTablesEventMerger merges into SourceTables, got {type(data).__name__}")
        listed = set(data.titles["id"].to_numpy(dtype=np.int64).tolist())
        kept = [e for e in events if not listed or e.title_id in listed]
        if not kept:
            return data
        added = pd.DataFrame(
            {
                "user_id": np.asarray([e.user_id for e in kept], dtype=np.int64),
                "title_id": np.asarray([e.title_id for e in kept], dtype=np.int64),
                "int_type": pd.Series([e.int_type for e in kept], dtype=object),
                "raw_score": np.asarray(
                    [np.nan if e.raw_score is None else e.raw_score for e in kept], dtype=np.float64
                ),
                "created_at": pd.to_datetime([e.created_at for e in kept], utc=True)
                .tz_convert(None)
                .astype("datetime64[ns]"),
            }
        )
        base = data.interactions.astype({"int_type": object})
        merged = pd.concat([base, added], ignore_index=True)
        merged["int_type"] = merged["int_type"].astype("category")
        return dataclasses.replace(data, interactions=merged)

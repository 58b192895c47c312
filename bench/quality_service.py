"""The service under test: its container over a split's SQLite source, trained and tuned by its own use
cases, ranked by the scorer it serves with and by the RecommendForUser use case."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from application.recommend_for_user import RecommendQuery
from application.train_model import TrainCommand
from application.tune_model import TuneCommand
from bench.quality_data import Split
from bench.quality_metrics import K, ordered_lists
from domain.model_version import ModelVersion, TrainParams
from domain.recommendation import ListSource
from domain.training_job import JobStatus, TrainingJob
from domain.tuning import TuneBudget
from entrypoints.container import Container, alone
from entrypoints.settings import Settings


@dataclass(frozen=True)
class ServiceResult:
    version: ModelVersion
    scores: np.ndarray  # (users x titles) from the served scorer, every title scored for every user
    served: np.ndarray  # the lists RecommendForUser returned per evaluated user, as ordered scores
    seconds: float  # wall time of the job (search included)


class ServiceUnderTest:
    """One service per split: REC_DATA_DIR in `workdir`, the split's source, no scheduler. Ratings at
    or above the split's `positive_min` are positives (REC_RATING_MIN_POSITIVE)."""

    def __init__(self, split: Split, workdir: Path, threads: int) -> None:
        self._split = split
        self._c = alone(Container())
        self._c.settings.override(
            Settings(
                data_dir=workdir,
                source_url=f"sqlite+aiosqlite:///{split.source_path}",
                train_cron="off",
                train_threads=threads,
                rating_min_positive=split.positive_min,
            )
        )
        self._runtime = self._c.runtime()

    async def start(self) -> None:
        await self._runtime.start()

    async def stop(self) -> None:
        await self._runtime.stop()

    async def train(self, params: TrainParams | None = None) -> ServiceResult:
        """The /admin/train defaults, or the given parameters."""
        started = time.perf_counter()
        job = await self._c.train_model().execute(TrainCommand(params or TrainParams()))
        return await self._result(job, time.perf_counter() - started)

    async def tune(self, budget: TuneBudget, options: Mapping[str, Any]) -> ServiceResult:
        """/admin/tune with `budget` and the other TuneCommand fields in `options`."""
        started = time.perf_counter()
        job = await self._c.tune_model().execute(dataclasses.replace(TuneCommand(budget), **options))
        return await self._result(job, time.perf_counter() - started)

    async def _result(self, job: TrainingJob, seconds: float) -> ServiceResult:
        if job.status is not JobStatus.SUCCEEDED or job.model_id is None:
            raise RuntimeError(f"job {job.job_id} ended {job.status}: {job.error}")
        version = await self._c.registry().get_version(job.model_id)
        assert version is not None
        assert self._c.state().model_id == job.model_id, "the job's model is not the one served"
        return ServiceResult(version, await self._scores(), await self._served_lists(), seconds)

    async def _scores(self) -> np.ndarray:
        """Every title's score for every user as the served scorer ranks them: by the user's own
        representation, or from the user's features for a user the model does not know."""
        split = self._split
        model = self._c.state().model
        assert model is not None
        n_titles = len(split.title_ids)
        scores = np.full((len(split.user_ids), n_titles), -np.inf)
        new = set(split.new_users.tolist())
        for row, user_id in enumerate(split.user_ids.tolist()):
            if row in new:
                features = await self._c.features().user_features(user_id)
                ranked = model.scorer.top_for_features(features, n_titles, ())
            else:
                ranked = model.scorer.top_for_user(user_id, n_titles, ())
            cols = np.searchsorted(split.title_ids, np.asarray(ranked.title_ids, dtype=np.int64))
            scores[row, cols] = ranked.scores
        return scores

    async def _served_lists(self) -> np.ndarray:
        """The lists users get: RecommendForUser (seen titles, hot events and blacklist excluded), from
        the model, or from features (`cold_start`) for the users removed from the source."""
        split = self._split
        recommend = self._c.recommend_for_user()
        new = set(split.new_users.tolist())
        lists: list[list[int]] = []
        for row in split.eval_users.tolist():
            found = await recommend.execute(RecommendQuery(int(split.user_ids[row]), K))
            expected = ListSource.COLD_START if row in new else ListSource.MODEL
            assert found.source is expected, (row, found.source)
            lists.append(np.searchsorted(split.title_ids, np.asarray(found.items.title_ids)).tolist())
        return ordered_lists(lists, split.eval_users, (len(split.user_ids), len(split.title_ids)))

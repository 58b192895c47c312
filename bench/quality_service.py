"""The service under test: its container over a split's SQLite source, trained and tuned by its own use
cases, ranked by the scorer it serves with and by the RecommendForUser use case."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from application.recommend_for_user import RecommendQuery
from application.train_model import TrainCommand
from application.tune_model import TuneCommand
from bench.quality_data import Split
from domain.model_version import ModelVersion
from domain.training_job import JobStatus, TrainingJob
from domain.tuning import TuneBudget
from entrypoints.container import Container, alone
from entrypoints.settings import Settings


@dataclass(frozen=True)
class ServiceResult:
    version: ModelVersion
    scores: np.ndarray  # (users x titles) from the served scorer, every title scored
    served: sp.csr_matrix  # bool: the k titles RecommendForUser returned per evaluated user
    seconds: float  # wall time of the job (search included)


class ServiceUnderTest:
    """One service per split: REC_DATA_DIR in `workdir`, the split's source, no scheduler."""

    def __init__(self, split: Split, workdir: Path, threads: int) -> None:
        self._split = split
        self._c = alone(Container())
        self._c.settings.override(
            Settings(
                data_dir=workdir,
                source_url=f"sqlite+aiosqlite:///{split.source_path}",
                train_cron="off",
                train_threads=threads,
            )
        )
        self._runtime = self._c.runtime()

    async def start(self) -> None:
        await self._runtime.start()

    async def stop(self) -> None:
        await self._runtime.stop()

    async def train_defaults(self) -> ServiceResult:
        started = time.perf_counter()
        job = await self._c.train_model().execute(TrainCommand())
        return await self._result(job, time.perf_counter() - started)

    async def tune(self, budget: TuneBudget) -> ServiceResult:
        started = time.perf_counter()
        job = await self._c.tune_model().execute(TuneCommand(budget))
        return await self._result(job, time.perf_counter() - started)

    async def _result(self, job: TrainingJob, seconds: float) -> ServiceResult:
        if job.status is not JobStatus.SUCCEEDED or job.model_id is None:
            raise RuntimeError(f"job {job.job_id} ended {job.status}: {job.error}")
        version = await self._c.registry().get_version(job.model_id)
        assert version is not None
        assert self._c.state().model_id == job.model_id, "the job's model is not the one served"
        return ServiceResult(version, self._scores(), await self._served_lists(), seconds)

    def _scores(self) -> np.ndarray:
        """Every title's score for every evaluated user, as the served scorer ranks them."""
        split = self._split
        model = self._c.state().model
        assert model is not None
        scores = np.full((len(split.user_ids), len(split.title_ids)), -np.inf)
        for row in split.eval_users:
            ranked = model.scorer.top_for_user(int(split.user_ids[row]), len(split.title_ids), ())
            cols = np.searchsorted(split.title_ids, np.asarray(ranked.title_ids, dtype=np.int64))
            scores[row, cols] = ranked.scores
        return scores

    async def _served_lists(self, k: int = 10) -> sp.csr_matrix:
        """The lists users get: RecommendForUser (seen titles, hot events and blacklist excluded)."""
        split = self._split
        recommend = self._c.recommend_for_user()
        rows: list[int] = []
        cols: list[int] = []
        for row in split.eval_users:
            found = await recommend.execute(RecommendQuery(int(split.user_ids[row]), k))
            assert found.source.value == "model", found.source
            rows += [int(row)] * len(found.items.title_ids)
            cols += np.searchsorted(split.title_ids, np.asarray(found.items.title_ids)).tolist()
        shape = (len(split.user_ids), len(split.title_ids))
        return sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=shape)

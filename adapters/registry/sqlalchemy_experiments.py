"""A/B experiments in the registry database (one row each, the arms as JSON)."""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import RowMapping, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.registry.rows import from_stamp, to_stamp
from adapters.registry.tables import experiments, metadata
from adapters.sql.engines import registry_connection
from application.ports import ExperimentStore
from domain.errors import ConflictError
from domain.experiment import Arm, Experiment, ExperimentStatus


class SqlAlchemyExperimentStore(ExperimentStore):
    """`ExperimentStore`; a save inserts the experiment's row or updates it. A
    running experiment's row holds `running_slot` 1 under a unique index: one runs at a time, whatever
    the replicas racing to start one."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_schema(self) -> None:
        async with self._connection(write=True) as conn:
            await conn.run_sync(metadata.create_all, tables=[experiments])

    async def save(self, experiment: Experiment) -> None:
        key = experiments.c.experiment_id == experiment.experiment_id
        row = _to_row(experiment)
        async with self._connection(write=True) as conn:
            # An insert for a new id, an update by key for a known one: no statement touching a row
            # that does not exist (on MariaDB that takes gap locks, and two replicas starting
            # experiments at once would deadlock instead of one of them meeting the unique index).
            known = (await conn.execute(select(experiments.c.experiment_id).where(key))).first()
            try:
                if known is None:
                    await conn.execute(experiments.insert().values(**row))
                else:
                    await conn.execute(update(experiments).where(key).values(**row))
            except IntegrityError:
                raise ConflictError(_ANOTHER_RUNS) from None

    async def get(self, experiment_id: str) -> Experiment | None:
        query = select(experiments).where(experiments.c.experiment_id == experiment_id)
        async with self._connection() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _to_experiment(row)

    async def list_experiments(self) -> list[Experiment]:
        query = select(experiments).order_by(
            experiments.c.started_at.desc(), experiments.c.experiment_id.desc()
        )
        async with self._connection() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_to_experiment(row) for row in rows]

    async def running(self) -> Experiment | None:
        query = (
            select(experiments)
            .where(experiments.c.status == ExperimentStatus.RUNNING.value)
            .order_by(experiments.c.started_at.desc())
            .limit(1)
        )
        async with self._connection() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _to_experiment(row)

    async def close(self) -> None:
        await self._engine.dispose()

    def _connection(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return registry_connection(self._engine, "the experiments cannot be used", write)


_ANOTHER_RUNS = "another experiment is running; stop it first"


def _to_row(experiment: Experiment) -> dict[str, Any]:
    arms = [{"name": a.name, "model_id": a.model_id, "share": a.share} for a in experiment.arms]
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "status": experiment.status.value,
        "started_at": to_stamp(experiment.started_at),
        "stopped_at": None if experiment.stopped_at is None else to_stamp(experiment.stopped_at),
        "arms": json.dumps(arms),
        "winner": experiment.winner,
        "running_slot": 1 if experiment.running else None,
    }


def _to_experiment(row: RowMapping) -> Experiment:
    arms = tuple(Arm(str(a["name"]), str(a["model_id"]), float(a["share"])) for a in json.loads(row["arms"]))
    stopped = row["stopped_at"]
    return Experiment(
        str(row["experiment_id"]),
        str(row["name"]),
        ExperimentStatus(row["status"]),
        from_stamp(row["started_at"]),
        arms,
        None if stopped is None else from_stamp(stopped),
        None if row["winner"] is None else str(row["winner"]),
    )

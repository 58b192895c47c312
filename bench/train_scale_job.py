"""One production training (the `train` use case, as `rec-service train` runs it), timed step by step.

Run by `bench.train_scale` in a process of its own (so its peak RSS is the training's), configured
by REC_* like the service. Timing hooks wrap the engine's and pipeline's steps without changing what
they do; the figures go to stdout as one JSON document.
"""

from __future__ import annotations

import asyncio
import functools
import json
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from lightfm import LightFM

SECONDS: defaultdict[str, float] = defaultdict(float)
CALLS: defaultdict[str, int] = defaultdict(int)
ROWS: dict[str, int] = {}


def _timed(step: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    if asyncio.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                SECONDS[step] += time.perf_counter() - started
                CALLS[step] += 1

        return timed_async

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SECONDS[step] += time.perf_counter() - started
            CALLS[step] += 1

    return timed


def install_hooks() -> None:
    from adapters.artifacts.filesystem_artifacts import FilesystemArtifactStore
    from adapters.lightfm_engine import engine
    from adapters.source import mysql_stream
    from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
    from application.activate_model import ActivateModel
    from application.refresh_catalogue import RefreshCatalogue

    hooks: list[tuple[Any, str, str]] = [
        (SqlAlchemyInteractionSource, "load_training_data", "read_source"),
        (engine, "prepare", "prepare"),
        (engine.LightFMEngine, "_plan", "prepare_split"),
        (engine, "fit_inputs", "prepare_fit_inputs"),
        (engine, "fit_epoch", "fit_epochs"),
        (LightFM, "fit_partial", "lightfm_fit_partial"),
        (engine, "score", "evaluate"),
        (engine, "to_bundle", "artifact_build"),
        (engine, "to_snapshot", "snapshot_build"),
        (FilesystemArtifactStore, "save", "artifact_write"),
        (FilesystemArtifactStore, "save_snapshot", "snapshot_write"),
        (ActivateModel, "execute", "activate"),
        (RefreshCatalogue, "execute", "refresh_catalogue"),
    ]
    for owner, name, step in hooks:
        setattr(owner, name, _timed(step, getattr(owner, name)))
    read_columns = mysql_stream.read_columns

    async def counted(conn: Any, name: str, query: str, where: str) -> dict[str, Any]:
        started = time.perf_counter()
        columns = await read_columns(conn, name, query, where)
        SECONDS[f"read_{name}"] += time.perf_counter() - started
        ROWS[name] = len(next(iter(columns.values()))) if columns else 0
        return columns

    mysql_stream.read_columns = counted


def scoring_latency(scorer: Any, n_users: int = 2000) -> dict[str, float]:
    """Per-request scoring of every title for one user (the cache-miss path: top 300, seen excluded)."""
    rng = np.random.default_rng(7)
    users = rng.choice(scorer.user_ids, size=min(n_users, len(scorer.user_ids)), replace=False).tolist()
    titles = scorer.title_ids
    out: list[float] = []
    for user in users:
        seen = frozenset(rng.choice(titles, size=20, replace=False).tolist())
        started = time.perf_counter()
        scorer.top_for_user(user, 300, seen)
        out.append((time.perf_counter() - started) * 1000)
    ordered = sorted(out)
    return {
        "titles": len(titles),
        "p50_ms": ordered[len(ordered) // 2],
        "p99_ms": ordered[int(0.99 * len(ordered))],
    }


async def run(epochs: int | None) -> dict[str, Any]:
    from application.train_model import TrainCommand
    from domain.model_version import TrainParams
    from entrypoints.container import Container, alone

    container = alone(Container())
    await container.registry().create_schema()
    params = TrainParams(epochs=epochs) if epochs else TrainParams()
    started = time.perf_counter()
    job = await container.train_model().execute(TrainCommand(params, activate=True))
    total = time.perf_counter() - started
    model = container.state().model
    report: dict[str, Any] = {
        "status": job.status.value,
        "error": job.error,
        "params": params.to_dict(),
        "threads": container.settings().train_threads,
        "total_seconds": total,
        "seconds": dict(SECONDS),
        "calls": dict(CALLS),
        "rows": ROWS,
        "metrics": dict(job.metrics),
        "scoring": scoring_latency(model.scorer) if model else None,
    }
    await container.source().close()
    await container.registry().close()
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report


def main() -> None:
    from entrypoints.logging import configure_logging

    configure_logging("json")
    install_hooks()
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else None
    print(json.dumps(asyncio.run(run(epochs))))


if __name__ == "__main__":
    main()

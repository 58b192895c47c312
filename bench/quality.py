"""`make bench-quality`: recommendation quality on MovieLens 100k, the service against baselines.

MovieLens 100k is loaded by the project's loader into a temporary SQLite source; the protocol's
held-out positives are deleted from a copy of it, which the service (its container, its TrainModel
and TuneModel use cases, REC_DATA_DIR in a temporary folder) trains on. Every row of a protocol is
scored on the same split by the same code (`quality_metrics.py`):

- popularity: titles by number of training positives;
- implicit ALS: 64 factors, 15 iterations, on the binary training positives (bench extra);
- the service with the /admin/train defaults;
- the service after /admin/tune (search on a validation split of its training data only).

"protocol" columns exclude each user's training positives (the protocol's training titles, as the
reference figures were measured); "as served" columns exclude every title the user rated
in the training part, as the service excludes seen titles, and for the service come from the lists
RecommendForUser returns. Protocols: `random` (a seeded 20 % of each user's positives) and `time`
(each user's newest 20 %).

Usage: .venv/bin/python -m bench.quality [--trials 60 --timeout 300 --protocols random,time]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import REPO
from bench.quality_baselines import als, popularity
from bench.quality_data import Split, load_ratings, make_split
from bench.quality_metrics import list_metrics, ranking_metrics
from bench.quality_service import ServiceResult, ServiceUnderTest
from domain.tuning import TuneBudget
from entrypoints.logging import configure_logging

DEFAULT_DATA = REPO.parent / "shared" / "data" / "ml-100k"
HEADER = (
    "| protocol | model | P@10 | R@10 | AUC | P@10 as served | R@10 as served | seconds |\n"
    "|---|---|---|---|---|---|---|---|"
)


def _log(message: str) -> None:
    print(f"[bench-quality {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _row(split: Split, name: str, scores, seconds: float, served=None) -> str:  # type: ignore[no-untyped-def]
    strict = ranking_metrics(scores, split.train_positive, split.test)
    seen = (
        list_metrics(served, split.test)
        if served is not None
        else ranking_metrics(scores, split.train_seen, split.test)
    )
    return (
        f"| {split.name} | {name} | {strict['precision_at_10']:.4f} | {strict['recall_at_10']:.4f} | "
        f"{strict['auc']:.4f} | {seen['precision_at_10']:.4f} | {seen['recall_at_10']:.4f} | {seconds:.1f} |"
    )


def _describe(label: str, result: ServiceResult) -> str:
    v = result.version
    params = ", ".join(f"{k}={val}" for k, val in v.params.to_dict().items())
    own = v.metrics["precision_at_10"]
    line = f"- {label}: {params}; the version's own holdout P@10 (seen excluded) {own:.4f}"
    if "tune_trials" in v.metrics:
        m = v.metrics
        line += (
            f"; search: {m['tune_trials']:.0f} trials ({m['tune_complete_trials']:.0f} complete, "
            f"{m['tune_pruned_trials']:.0f} pruned, {m['tune_failed_trials']:.0f} failed) "
            f"in {m['tune_seconds']:.0f} s, "
            f"best trial {m['tune_best_trial']:.0f}: validation P@10 {m['tune_best_value']:.4f}, "
            f"{m.get('tune_best_confirmation', float('nan')):.4f} on the confirmation split, "
            f"stopped by {v.extra['tune']['stopped']}"
        )
    return line


async def _service(split: Split, workdir: Path, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    service = ServiceUnderTest(split, workdir, args.threads)
    await service.start()
    rows, notes = [], []
    try:
        _log(f"{split.name}: training the service with the default parameters")
        defaults = await service.train_defaults()
        rows.append(_row(split, "service, defaults", defaults.scores, defaults.seconds, defaults.served))
        notes.append(_describe(f"{split.name}, defaults", defaults))
        if args.trials:
            _log(f"{split.name}: tuning ({args.trials} trials at most, {args.timeout} s)")
            tuned = await service.tune(TuneBudget(args.trials, args.timeout))
            rows.append(_row(split, "service, tuned", tuned.scores, tuned.seconds, tuned.served))
            notes.append(_describe(f"{split.name}, tuned", tuned))
    finally:
        await service.stop()
    return rows, notes


def _protocol(split: Split, workdir: Path, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    started = time.perf_counter()
    rows = [_row(split, "popularity", popularity(split), time.perf_counter() - started)]
    started = time.perf_counter()
    als_scores = als(split, args.seed, args.threads)
    notes = []
    if isinstance(als_scores, str):
        notes.append(f"- ALS {als_scores}")
    else:
        rows.append(_row(split, "implicit ALS (64 f, 15 it)", als_scores, time.perf_counter() - started))
    service_rows, service_notes = asyncio.run(_service(split, workdir / f"service_{split.name}", args))
    return rows + service_rows, notes + service_notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with u.data, u.item, u.user")
    parser.add_argument("--protocols", default="random,time")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trials", type=int, default=60, help="tuning trials per protocol (0: no tuning)")
    parser.add_argument("--timeout", type=int, default=300, help="tuning time limit per protocol, seconds")
    args = parser.parse_args()
    configure_logging("console", logging.WARNING)
    began = time.perf_counter()
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        work = Path(tmp)
        _log(f"loading {args.data} with the project's loader")
        ratings = load_ratings(args.data, work / "movielens.db")
        for protocol in args.protocols.split(","):
            split = make_split(protocol, ratings, work / "movielens.db", work, protocol, args.seed)
            _log(f"{protocol}: {split.test.nnz} held-out positives of {len(split.eval_users)} users")
            found, said = _protocol(split, work, args)
            rows += found
            notes += said
    total = time.perf_counter() - began
    print(
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, "
        f"Python {platform.python_version()}), {total / 60:.1f} min in all.\n"
    )
    print(HEADER)
    print("\n".join(rows))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()

"""`make bench-quality`: recommendation quality on MovieLens 100k, the service against baselines.

MovieLens 100k is loaded by the project's loader into a temporary SQLite source; each protocol's
held-out ratings are deleted from a copy of it (`quality_protocols.py`), which the service (its
container, its TrainModel and TuneModel use cases, REC_DATA_DIR in a temporary folder) trains on.
Every row of a protocol is scored on the same split by the same code (`quality_metrics.py`):

- popularity: titles by number of training positives;
- implicit ALS: 64 factors, 15 iterations, on the binary training positives (bench extra);
- the service with the /admin/train defaults;
- the service after /admin/tune (search on a validation split of its training data only), once per
  entry of TUNINGS on the protocols it names.

"protocol" columns exclude each user's training positives (the protocol's training titles, as the
reference figures were measured); "as served" columns exclude every title the user rated in the
training part, as the service excludes seen titles, and for the service come from the lists
RecommendForUser returns. Protocols: `random`, `time`, `public` (Microsoft Recommenders' MovieLens
100k protocol) and `cold` (new users served from their features).

Usage: .venv/bin/python -m bench.quality [--trials 60 --timeout 300 --protocols random,time,public,cold]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import REPO
from bench.quality_baselines import als, popularity
from bench.quality_data import Split, load_ratings, make_split
from bench.quality_report import Row, measure, tables
from bench.quality_service import ServiceResult, ServiceUnderTest
from domain.model_version import TrainParams
from domain.tuning import TuneBudget, TuneValidation
from entrypoints.logging import configure_logging

DEFAULT_DATA = REPO.parent / "shared" / "data" / "ml-100k"


@dataclass(frozen=True)
class Tuning:
    """One "service, tuned" row per protocol in `protocols`: /admin/tune with TuneCommand's other
    fields set from `options`."""

    name: str
    options: Mapping[str, Any]
    protocols: tuple[str, ...]


TUNINGS = (
    Tuning("service, tuned", {"validation": TuneValidation.RANDOM}, ("random", "time", "public")),
    Tuning("service, tuned (validation=time)", {"validation": TuneValidation.TIME}, ("random", "time")),
)
# `cold` trains with the parameters of the first tuning on `random` instead.


def _log(message: str) -> None:
    print(f"[bench-quality {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.tuned: dict[str, TrainParams] = {}  # protocol -> parameters of its first tuning

    def protocol(self, split: Split, workdir: Path) -> None:
        started = time.perf_counter()
        self.rows.append(measure(split, "popularity", popularity(split), time.perf_counter() - started))
        if split.name == "cold":
            self.notes.append(
                "- cold: no ALS row (implicit's ALS has no representation for a user without data)"
            )
        else:
            self._als(split)
        asyncio.run(self._service(split, workdir / f"service_{split.name}"))

    def _als(self, split: Split) -> None:
        started = time.perf_counter()
        scores = als(split, self.args.seed, self.args.threads)
        if isinstance(scores, str):
            self.notes.append(f"- ALS {scores}")
        else:
            self.rows.append(
                measure(split, "implicit ALS (64 f, 15 it)", scores, time.perf_counter() - started)
            )

    async def _service(self, split: Split, workdir: Path) -> None:
        service = ServiceUnderTest(split, workdir, self.args.threads)
        await service.start()
        try:
            _log(f"{split.name}: training the service with the default parameters")
            self._service_row(split, "service, defaults", await service.train())
            if split.name == "cold" and "random" in self.tuned:
                _log("cold: training with the parameters tuned on the random protocol")
                self._service_row(
                    split, "service, tuned on random", await service.train(self.tuned["random"])
                )
            for tuning in TUNINGS if self.args.trials else ():
                if split.name not in tuning.protocols:
                    continue
                _log(
                    f"{split.name}: {tuning.name} ({self.args.trials} trials at most, {self.args.timeout} s)"
                )
                result = await service.tune(TuneBudget(self.args.trials, self.args.timeout), tuning.options)
                self.tuned.setdefault(split.name, result.version.params)
                self._service_row(split, tuning.name, result)
        finally:
            await service.stop()

    def _service_row(self, split: Split, name: str, result: ServiceResult) -> None:
        self.rows.append(measure(split, name, result.scores, result.seconds, result.served))
        self.notes.append(_describe(f"{split.name}, {name}", result))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with u.data, u.item, u.user")
    parser.add_argument("--protocols", default="random,time,public,cold")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trials", type=int, default=60, help="tuning trials per tuning (0: no tuning)")
    parser.add_argument("--timeout", type=int, default=300, help="tuning time limit per tuning, seconds")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    configure_logging("console", logging.WARNING)
    began = time.perf_counter()
    bench = Bench(args)
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        work = Path(tmp)
        _log(f"loading {args.data} with the project's loader")
        ratings = load_ratings(args.data, work / "movielens.db")
        for protocol in args.protocols.split(","):
            split = make_split(protocol, ratings, work / "movielens.db", work, args.seed)
            n_users = len(split.eval_users)
            _log(f"{protocol}: {split.test.nnz} held-out positives of {n_users} users")
            bench.protocol(split, work)
    total = time.perf_counter() - began
    print(
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, "
        f"Python {platform.python_version()}), {total / 60:.1f} min in all; "
        f"--trials {args.trials} --timeout {args.timeout} --threads {args.threads} --seed {args.seed}.\n"
    )
    print(tables(bench.rows))
    print("\n".join(bench.notes))


if __name__ == "__main__":
    main()

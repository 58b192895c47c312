"""The in-memory seen index at scale: build time, bytes per pair, lookup and tail costs.

Synthetic pairs: users uniform over `pairs / 20` ids (about 20 titles each), titles power-law over
20,000 ids (repeats collapse to one pair, as repeated events do). Prints one table row per size.

Usage: .venv/bin/python -m bench.seen_index [--pairs 1000000 10000000] [--lookups 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from adapters.seen_index.numpy_index import NumpySeenIndex

TITLES = 20_000
PAIRS_PER_USER = 20


@dataclass(frozen=True, slots=True)
class Pairs:
    user_ids: npt.NDArray[np.int64]
    title_ids: npt.NDArray[np.int64]
    created_us: npt.NDArray[np.int64]
    newest: datetime | None = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic(n: int, seed: int = 1) -> Pairs:
    rng = np.random.default_rng(seed)
    users = rng.integers(1, max(2, n // PAIRS_PER_USER), n, dtype=np.int64)
    titles = np.minimum(rng.zipf(1.3, n), TITLES).astype(np.int64) * 7919 % TITLES + 1
    return Pairs(users, titles, np.zeros(n, dtype=np.int64))


def per_call_us(fn: object, args: list[int], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for arg in args:
            fn(arg)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best / len(args) * 1e6


async def measure(n: int, lookups: int) -> dict[str, float]:
    pairs = synthetic(n)
    index = NumpySeenIndex()
    tracemalloc.start()
    started = time.perf_counter()
    await index.load(pairs, full=True)
    build = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rng = np.random.default_rng(2)
    users = rng.integers(1, n // PAIRS_PER_USER, lookups).tolist()
    sizes = [len(index.seen(u)) for u in users[:1000]]
    seen_us = per_call_us(index.seen, users)
    recent_us = per_call_us(index.recent, users)
    # What the scorer does with an exclusion (np.fromiter over the set) against a ready array.
    sets = [index.seen(u) for u in users[:10_000]]
    as_set_us = per_call_us(lambda s: np.fromiter(s, np.int64, len(s)), sets)  # type: ignore[arg-type]
    rows = index._rows  # the raw lookup (a list, no set), for the comparison only
    as_array_us = per_call_us(rows.titles_of, users)
    tail = synthetic(1_000, seed=3)
    started = time.perf_counter()
    await index.load(tail)
    tail_ms = (time.perf_counter() - started) * 1e3
    bulk = synthetic(index.n_pairs // 64 + 1, seed=4)
    started = time.perf_counter()
    await index.load(bulk)  # past the threshold: the delta is merged into new arrays
    merge_s = time.perf_counter() - started
    return {
        "pairs": index.n_pairs,
        "build_s": build,
        "bytes_per_pair": index.nbytes / index.n_pairs,
        "peak_mb": peak / 2**20,
        "mean_titles": float(np.mean(sizes)),
        "seen_us": seen_us,
        "recent_us": recent_us,
        "fromiter_set_us": as_set_us,
        "array_slice_us": as_array_us,
        "tail_1k_ms": tail_ms,
        "merge_s": merge_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--lookups", type=int, default=100_000)
    args = parser.parse_args()
    print(
        "| rows read | distinct pairs | build s | bytes/pair | peak MB during build | titles/user "
        "| seen() us | recent() us | fromiter(set) us | list, no set us | tail of 1k rows ms "
        "| delta merge (pairs/64) s |"
    )
    print("|---" * 12 + "|")
    for n in args.pairs:
        r = asyncio.run(measure(n, args.lookups))
        print(
            f"| {n:,} | {int(r['pairs']):,} | {r['build_s']:.2f} | {r['bytes_per_pair']:.2f} | "
            f"{r['peak_mb']:.0f} | {r['mean_titles']:.1f} | {r['seen_us']:.2f} | {r['recent_us']:.2f} | "
            f"{r['fromiter_set_us']:.2f} | {r['array_slice_us']:.2f} | {r['tail_1k_ms']:.1f} | "
            f"{r['merge_s']:.2f} |"
        )


if __name__ == "__main__":
    main()

"""A gRPC load generator (its own process): `concurrency` calls in flight on one channel for `seconds`.

Usage: .venv/bin/python -m bench.serve_grpc_load TARGET SECONDS [CONCURRENCY] [MAX_USER] [BATCH]
With BATCH > 0 each call is `GetUserRecommendationsBatch` for BATCH random users, and `requests`
counts users (lists answered), not calls; latencies are per call.
Prints one JSON line: requests, errors, seconds, p50_ms, p99_ms.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

import grpc

from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc


async def drive(
    target: str, seconds: float, concurrency: int, max_user: int, batch: int = 0
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    per_call = max(batch, 1)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.RecommenderStub(channel)
        await stub.GetUserRecommendations(pb.UserRequest(user_id=1), timeout=10)
        stop_at = time.perf_counter() + seconds

        async def worker(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while (started := time.perf_counter()) < stop_at:
                try:
                    if batch:
                        users = [rng.randint(1, max_user) for _ in range(batch)]
                        await stub.GetUserRecommendationsBatch(
                            pb.UserBatchRequest(user_ids=users), timeout=10
                        )
                    else:
                        await stub.GetUserRecommendations(
                            pb.UserRequest(user_id=rng.randint(1, max_user)), timeout=10
                        )
                except grpc.aio.AioRpcError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "requests": len(ordered) * per_call,
        "errors": errors,
        "seconds": elapsed,
        "p50_ms": ordered[len(ordered) // 2],
        "p99_ms": ordered[int(0.99 * len(ordered))],
    }


def main() -> None:
    target, seconds = sys.argv[1], float(sys.argv[2])
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    max_user = int(sys.argv[4]) if len(sys.argv) > 4 else 943
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    print(json.dumps(asyncio.run(drive(target, seconds, concurrency, max_user, batch))))


if __name__ == "__main__":
    main()

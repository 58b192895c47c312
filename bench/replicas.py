"""`make bench-replicas`: three replicas as one service (contract section 10), measured on this machine.

Usage: .venv/bin/python -m bench.replicas [--activations 20] [--hot-events 20] [--tune-trials 6]
       [--no-tuning]

Three `serve` processes, all trainer candidates (REC_TRAINER_LEASE_SECONDS=5), on a MariaDB source
(MovieLens 100k) and registry, Redis db 7 and artifacts on an S3 server (moto). While every replica's
`rec_trainer_leader` is sampled every 100 ms: activations under load, hot events, an admin training
sent to a non-trainer, a tuning job with and without two tune-workers, then SIGKILL of the trainer
with a job scheduled during the outage. Prints a markdown report (progress goes to stderr).
Every process is killed and the databases and Redis db 7 emptied on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import sys
import time
from datetime import UTC, datetime
from types import FrameType

from bench.common import say
from bench.replicas_analysis import analyse_leaders
from bench.replicas_phases import activations, hot_events, kill_the_trainer, train_wait
from bench.replicas_probes import LeaderSampler
from bench.replicas_report import Results, render
from bench.replicas_stack import LEASE_SECONDS, Stack
from bench.replicas_tuning import tuning


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activations", type=int, default=20)
    parser.add_argument("--hot-events", type=int, default=20)
    parser.add_argument("--tune-trials", type=int, default=6)
    parser.add_argument("--no-tuning", action="store_true", help="skip the tuning comparison")
    return parser.parse_args()


async def measure(stack: Stack, versions: tuple[str, str], args: argparse.Namespace) -> Results:
    replicas = stack.replicas
    sampler = LeaderSampler(replicas)
    sampling = asyncio.create_task(sampler.run())
    try:
        deadline = time.monotonic() + LEASE_SECONDS + 10
        while sampler.leader() is None:
            if time.monotonic() > deadline:
                raise RuntimeError("no single trainer among the replicas")
            await asyncio.sleep(0.1)
        say(f"bench-replicas: {args.activations} activations under load")
        act = await activations(replicas, versions, args.activations)
        say(f"bench-replicas: {args.hot_events} hot events")
        hot = await hot_events(replicas, args.hot_events)
        say("bench-replicas: /admin/train?wait=true on a non-trainer")
        train = await train_wait(replicas, sampler)
        tuned = None
        if not args.no_tuning:
            follower = next(r for r in replicas if r is not sampler.leader())
            tuned = await tuning(stack, follower, args.tune_trials)
        take = await kill_the_trainer(replicas, sampler)
        await asyncio.sleep(1.0)
    finally:
        sampling.cancel()
        await asyncio.gather(sampling, return_exceptions=True)
    leaders = analyse_leaders(sampler.samples, [take.window])
    unanswered = {r.name: count for r, count in zip(replicas, sampler.unanswered, strict=True)}
    return Results(_conditions(), leaders, take, act, hot, train, tuned, unanswered)


def _conditions() -> list[str]:
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `make bench-replicas`; {os.cpu_count()} cores shared "
        f"with other work (load average at the end {load}); Python {platform.python_version()}",
        "three `rec-service serve` processes (REST + gRPC), all trainer candidates, "
        f"REC_TRAINER_LEASE_SECONDS={LEASE_SECONDS}, REC_TRAIN_THREADS=1, "
        "each its own data dir (the local artifact cache)",
        "source: MovieLens 100k in MariaDB; registry: MariaDB (Optuna's RDB storage too); Redis db 7; "
        "artifacts on an S3 server (moto's server mode); versions of 32 components, 10 epochs",
    ]


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the same cleanup as Ctrl-C


def main() -> int:
    args = _arguments()
    signal.signal(signal.SIGTERM, _stop)
    stack = Stack()
    done = False
    try:
        versions = stack.prepare()
        say("bench-replicas: starting three replicas")
        stack.start_replicas(3)
        results = asyncio.run(measure(stack, versions, args))
        done = True
    except KeyboardInterrupt:
        say("bench-replicas: interrupted; cleaning up")
        done = True  # asked to stop: nothing to look into
        return 130
    finally:
        stack.close(keep_logs=not done)  # a failure keeps the processes' logs
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

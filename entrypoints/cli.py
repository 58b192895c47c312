"""Command line: `serve`, `serve-grpc`, `train`, `tune`, `tune-worker`, `demo-data`, `load-movielens`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
from pathlib import Path

import structlog

from domain.tuning import DEFAULT_VALIDATION, TuneValidation
from entrypoints.logging import configure_logging

log = structlog.get_logger("cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rec-service", description="LightFM recommendation service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve REST and gRPC in one process")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--grpc-port", type=int, default=None)
    serve_grpc = sub.add_parser("serve-grpc", help="serve gRPC alone (production), configured by REC_*")
    serve_grpc.add_argument("--port", type=int, default=None)
    train = sub.add_parser("train", help="train one model version now and print the job")
    train.add_argument("--epochs", type=int)
    train.add_argument("--no-components", type=int)
    train.add_argument("--loss")
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--no-activate", action="store_true")
    tune = sub.add_parser("tune", help="search hyperparameters, train the best as a version, print the job")
    tune.add_argument("--trials", type=int, default=30, help="at most this many trials (1..500)")
    tune.add_argument("--timeout", type=int, default=900, help="search time limit in seconds (1..7200)")
    tune.add_argument("--no-activate", action="store_true")
    tune.add_argument(
        "--validation",
        choices=[v.value for v in TuneValidation],
        default=DEFAULT_VALIDATION.value,
        help=f"validation split: a random share or each user's newest positives ({DEFAULT_VALIDATION})",
    )
    worker = sub.add_parser(
        "tune-worker", help="run trials of the tuning jobs the trainer runs (Optuna storage in the registry)"
    )
    worker.add_argument("--poll-seconds", type=float, default=2.0, help="how often to look for a tuning")
    worker.add_argument("--once", action="store_true", help="exit after one tuning job (or none open)")
    demo = sub.add_parser("demo-data", help="generate the embedded demo source")
    demo.add_argument("--if-absent", action="store_true", help="do nothing when the file exists")
    demo.add_argument("--path", type=Path, default=None)
    movielens = sub.add_parser("load-movielens", help="load MovieLens 100k files into a source database")
    movielens.add_argument("--dir", type=Path, required=True, help="folder with u.data, u.item, u.user")
    movielens.add_argument("--url", required=True, help="target database, e.g. mysql://user:pw@host/db")
    movielens.add_argument("--replace", action="store_true", help="delete the data the target holds first")
    return parser


def _load_movielens(args: argparse.Namespace) -> int:
    from tools.movielens_files import MovieLensFormatError
    from tools.movielens_loader import LoaderError, load_movielens

    def progress(table: str, done: int, total: int) -> None:
        share = f" ({100 * done // total}%)" if total else ""
        print(f"load-movielens: {table} {done:,}/{total:,} rows{share}", file=sys.stderr, flush=True)

    try:
        summary = asyncio.run(load_movielens(args.dir, args.url, replace=args.replace, progress=progress))
    except (LoaderError, MovieLensFormatError) as exc:
        print(f"load-movielens: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(dataclasses.asdict(summary)))
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from entrypoints.settings import load_settings
    from tools.demo_data import ensure_demo_source, generate_demo_source

    path = args.path or load_settings().demo_source_path
    if args.if_absent:
        created = ensure_demo_source(path)
        log.info("demo_source", path=str(path), created=created)
    else:
        summary = generate_demo_source(path)
        log.info("demo_source", path=str(path), created=True, summary=str(summary))
    return 0


async def _train(args: argparse.Namespace) -> int:
    from application.train_model import TrainCommand
    from domain.model_version import TrainParams
    from entrypoints.container import Container, alone
    from entrypoints.http.schemas import JobBody

    container = Container()
    overrides = {
        k: v
        for k, v in {
            "epochs": args.epochs,
            "no_components": args.no_components,
            "loss": args.loss,
            "learning_rate": args.learning_rate,
        }.items()
        if v
    }
    command = TrainCommand(TrainParams(**overrides), activate=not args.no_activate)
    alone(container)  # runs here, outside the trainer lease
    runtime = container.runtime()
    await container.registry().create_schema()
    job = await container.train_model().execute(command)
    await runtime.stop()
    import msgspec

    print(json.dumps(msgspec.to_builtins(JobBody.of(job)), indent=2))
    return 0 if job.status.value == "succeeded" else 1


async def _tune(args: argparse.Namespace) -> int:
    import msgspec

    from application.tune_model import TuneCommand
    from domain.errors import InvalidArgumentError
    from domain.tuning import TuneBudget
    from entrypoints.container import Container, alone
    from entrypoints.http.schemas import JobBody

    try:
        budget = TuneBudget(args.trials, args.timeout)
    except InvalidArgumentError as exc:
        print(f"tune: {exc}", file=sys.stderr)
        return 2
    container = Container()
    alone(container)  # runs here, outside the trainer lease
    runtime = container.runtime()
    await container.registry().create_schema()
    command = TuneCommand(budget, activate=not args.no_activate, validation=TuneValidation(args.validation))
    job = await container.tune_model().execute(command)
    await runtime.stop()
    print(json.dumps(msgspec.to_builtins(JobBody.of(job)), indent=2))
    return 0 if job.status.value == "succeeded" else 1


async def _tune_worker(args: argparse.Namespace) -> int:
    """Join running tunings until SIGTERM/SIGINT; a trial running then is failed (it does not count)."""
    import signal

    from entrypoints.container import Container

    container = Container()
    await container.registry().create_schema()  # the registry's migrations before Optuna's tables
    join = container.join_tuning()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    log.info("tune_worker_started", poll_seconds=args.poll_seconds)
    try:
        while not stopping.is_set():
            work = asyncio.ensure_future(join.execute())
            stop = asyncio.ensure_future(stopping.wait())
            await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                break
            try:
                ran = work.result()
            except Exception as exc:  # a database or the source down: try again at the next poll
                log.warning("tune_worker_failed", error=f"{type(exc).__name__}: {exc}")
                ran = 0
            if ran:
                log.info("tune_worker_search_done", trials=ran)
            if args.once:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), args.poll_seconds)
    finally:
        for close in (container.source().close, container.hot_events().close, container.registry().close):
            await close()
    log.info("tune_worker_stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from entrypoints.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_format)
    if args.command == "demo-data":
        return _demo_data(args)
    if args.command == "load-movielens":
        return _load_movielens(args)
    if args.command == "train":
        return asyncio.run(_train(args))
    if args.command == "tune":
        return asyncio.run(_tune(args))
    if args.command == "tune-worker":
        return asyncio.run(_tune_worker(args))
    from entrypoints.serve import serve_all, serve_grpc

    if args.command == "serve-grpc":
        return serve_grpc(settings, grpc_port=args.port)
    if settings.uses_demo_source:
        # No REC_SOURCE_URL: the embedded demo, as `make run` serves it (also `docker run` alone).
        from tools.demo_data import ensure_demo_source

        created = ensure_demo_source(settings.demo_source_path)
        log.info("demo_source", path=str(settings.demo_source_path), created=created)
    return serve_all(settings, host=args.host, port=args.port, grpc_port=args.grpc_port)


if __name__ == "__main__":
    sys.exit(main())

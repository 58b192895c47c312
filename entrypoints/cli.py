"""Command line: `serve`, `train`, `demo-data`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import structlog

from entrypoints.logging import configure_logging

log = structlog.get_logger("cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rec-service", description="LightFM recommendation service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve REST (and gRPC when available) in one process")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    train = sub.add_parser("train", help="train one model version now and print the job")
    train.add_argument("--epochs", type=int)
    train.add_argument("--no-components", type=int)
    train.add_argument("--loss")
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--no-activate", action="store_true")
    demo = sub.add_parser("demo-data", help="generate the embedded demo source")
    demo.add_argument("--if-absent", action="store_true", help="do nothing when the file exists")
    demo.add_argument("--path", type=Path, default=None)
    return parser


def _demo_data(args: argparse.Namespace) -> int:
    from adapters.demo_data import ensure_demo_source, generate_demo_source
    from entrypoints.settings import load_settings

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
    from entrypoints.container import Container
    from entrypoints.http.schemas import JobBody
    from entrypoints.runtime import ServiceRuntime

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
    runtime = ServiceRuntime(container)
    await container.registry().create_schema()
    job = await container.train_model().execute(command)
    await runtime.stop()
    import msgspec

    print(json.dumps(msgspec.to_builtins(JobBody.of(job)), indent=2))
    return 0 if job.status.value == "succeeded" else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from entrypoints.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_format)
    if args.command == "demo-data":
        return _demo_data(args)
    if args.command == "train":
        return asyncio.run(_train(args))
    from entrypoints.serve import serve_all

    return serve_all(settings, host=args.host, port=args.port)


if __name__ == "__main__":
    sys.exit(main())

"""`serve`: REST (uvicorn) and gRPC in one process on one event loop; `serve-grpc`: gRPC alone.

Both share one container and one ServiceRuntime. This module owns SIGTERM/SIGINT: stop accepting,
drain both servers, stop the runtime, exit 0 (uvicorn would re-raise the signal after its shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Awaitable, Coroutine, Iterator
from typing import Any

import structlog
import uvicorn

from entrypoints.container import Container
from entrypoints.grpc.server import GrpcService, grpc_interceptors
from entrypoints.http.app import create_app
from entrypoints.http.uvicorn_protocol import LimitedHttpToolsProtocol
from entrypoints.settings import Settings

log = structlog.get_logger("serve")

SHUTDOWN_GRACE_SECONDS = 10.0
"""How long calls already running may take to finish after a stop signal."""


class ServerFailedError(RuntimeError):
    """A server could not start (e.g. its port is taken)."""


class _QuietServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its own shutdown; this process owns the signals instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _http_server(container: Container, host: str, port: int) -> _QuietServer:
    app = create_app(container, manage_runtime=False)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE_SECONDS),
        http=LimitedHttpToolsProtocol,  # the head limits, refused with the error body
    )
    return _QuietServer(config)


async def _run_http(server: _QuietServer) -> None:
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn exits the process when it cannot bind: fail this task instead
        raise ServerFailedError("the REST server could not start (see the log above)") from exc
    if not server.started:
        raise ServerFailedError("the REST server could not start (see the log above)")


async def _until_stopped(stop: asyncio.Event, *servers: asyncio.Task[None]) -> None:
    """Return on a stop signal; raise when a server fails before it."""
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({waiter, *servers}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done - {waiter}:
        task.result()  # a server that ended on its own: re-raise its error
        raise ServerFailedError("a server stopped without a stop signal")


async def _serve(settings: Settings, grpc_port: int, http: tuple[str, int] | None) -> None:
    stop = _stop_on_signals()
    container = Container()
    container.settings.override(settings)
    grpc_service = _grpc_service(container, grpc_port)  # a busy port fails before any startup work
    http_server = _http_server(container, *http) if http else None
    runtime = container.runtime()  # one runtime for both transports, started once
    await runtime.start()
    gc.freeze()  # what start built lives as long as the process: out of full collections (http/app.py)
    try:
        await _serve_until_stopped(stop, grpc_service, http_server)
    finally:
        await runtime.stop()
    log.info("shutdown_complete")


def _grpc_service(container: Container, port: int) -> GrpcService:
    try:
        interceptors = grpc_interceptors(container.observability())
        return GrpcService(
            container.grpc_servicer(), container.check_health(), port, interceptors=interceptors
        )
    except RuntimeError as exc:
        raise ServerFailedError(f"gRPC cannot listen on port {port} (REC_GRPC_PORT): {exc}") from exc


async def _serve_until_stopped(
    stop: asyncio.Event, grpc_service: GrpcService, http_server: _QuietServer | None
) -> None:
    await grpc_service.start()
    servers = [asyncio.create_task(_run_http(http_server))] if http_server else []
    where = {"grpc": f"[::]:{grpc_service.port}"}
    if http_server:
        where["http"] = f"http://{http_server.config.host}:{http_server.config.port}"
    log.info("serving", **where)
    try:
        await _until_stopped(stop, *servers)
    finally:
        log.info("shutting_down", grace_seconds=SHUTDOWN_GRACE_SECONDS)
        if http_server:
            http_server.should_exit = True
        await _drain(grpc_service.stop(SHUTDOWN_GRACE_SECONDS), *servers)


async def _drain(*stopping: Awaitable[None]) -> None:
    results = await asyncio.gather(*stopping, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, ServerFailedError):
            log.error("drain_failed", error=repr(result))


def serve_all(
    settings: Settings, host: str | None = None, port: int | None = None, grpc_port: int | None = None
) -> int:
    """REST and gRPC in one process (`make run`, `rec-service serve`)."""
    http = (host or settings.http_host, port or settings.http_port)
    return _run(_serve(settings, grpc_port or settings.grpc_port, http))


def serve_grpc(settings: Settings, grpc_port: int | None = None) -> int:
    """gRPC alone (`make serve-grpc`): configured only by the environment, never generating demo data."""
    return _run(_serve(settings, grpc_port or settings.grpc_port, None))


def _run(main: Coroutine[Any, Any, None]) -> int:
    """Exit status: 0 after a signalled stop, 1 when a server could not start."""
    try:
        asyncio.run(main)
    except ServerFailedError as exc:
        log.error("server_failed", error=str(exc))
        return 1
    return 0

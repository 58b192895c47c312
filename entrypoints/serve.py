"""`serve`: REST (uvicorn) in one process, with our own signal handling."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import structlog
import uvicorn

from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

log = structlog.get_logger("serve")


class _QuietServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its own shutdown; this process owns the signals instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve(settings: Settings, host: str, port: int) -> None:
    container = Container()
    container.settings.override(settings)
    app = create_app(container)
    config = uvicorn.Config(app, host=host, port=port, lifespan="on", log_config=None, access_log=False)
    server = _QuietServer(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    log.info("serving", http=f"http://{host}:{port}")
    await server.serve()


def serve_all(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    asyncio.run(_serve(settings, host or settings.http_host, port or settings.http_port))
    return 0

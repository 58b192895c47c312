"""The one outer ASGI layer: what every request passes through, fast path or Litestar.

The servers and tests run a `ServiceApp`, not the Litestar app: cross-cutting concerns wrap the
fast path and Litestar's whole app together as plain ASGI callables, so neither can skip them and no
Litestar internal is swapped. Add one by appending a wrapper to `CROSS_CUTTING` (metrics and tracing
go here): it sees every HTTP request and the lifespan messages, which it should pass straight on.
Keep it cheap, since the fast path answers a cached request in a few tens of microseconds.
A Litestar middleware would not do: the fast path never reaches it (tests/e2e/test_hot_route_layers.py
fails when one is added to a hot route or to the app).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from litestar import Litestar
from litestar.datastructures import State
from litestar.types import ASGIApp, Receive, Scope, Send

from entrypoints.http.middleware import with_request_ids

Wrapper = Callable[[ASGIApp], ASGIApp]
"""An ASGI middleware: the app it wraps -> the wrapped app."""

CROSS_CUTTING: tuple[Wrapper, ...] = (with_request_ids,)
"""Applied outermost first: the request id is bound before anything else runs or logs."""


class ServiceApp:
    """The served ASGI app: `CROSS_CUTTING` around `inner` (the fast path over `litestar`, or
    `litestar` alone). Exposes the Litestar app for its state and OpenAPI."""

    __slots__ = ("_app", "litestar")

    def __init__(
        self, litestar: Litestar, inner: ASGIApp, wrappers: Sequence[Wrapper] = CROSS_CUTTING
    ) -> None:
        app = inner
        for wrap in reversed(wrappers):
            app = wrap(app)
        self._app = app
        self.litestar = litestar

    @property
    def state(self) -> State:
        return self.litestar.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

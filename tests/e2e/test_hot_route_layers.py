"""Tripwire: nothing Litestar would run per request may sit on a route of the hot-route table.

The fast path answers those routes before Litestar, so a guard, middleware, hook, response header
or exception handler added in Litestar would silently not apply to most of their requests. Put a
cross-cutting concern in the outer layer (`entrypoints/http/outer.py`) instead; an app-level
Litestar middleware that truly needs no fast-path counterpart goes in ALLOWED_APP_MIDDLEWARE.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar, Router
from litestar._asgi.routing_trie.mapping import build_route_middleware_stack
from litestar.middleware import DefineMiddleware
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp

from entrypoints.http.app import bind_hot_routes, create_app
from entrypoints.http.errors import handle_exception
from entrypoints.http.fast_path import with_fast_path
from entrypoints.http.hot_handlers import hot_router, litestar_handler
from entrypoints.http.hot_routes import HOT_ROUTES
from entrypoints.http.outer import ServiceApp
from entrypoints.settings import Settings
from tests.e2e.conftest import FakeStack, client_for, fake_container

ALLOWED_APP_MIDDLEWARE: frozenset[object] = frozenset()
HOT_PATHS = frozenset(path for route in HOT_ROUTES for path in route.paths)
PER_REQUEST = (
    "middleware",
    "guards",
    "before_request",
    "after_request",
    "after_response",
    "exception_handlers",
    "response_headers",
    "response_cookies",
    "response_class",
    "cache_control",
    "etag",
    "cache",
)
APP_WIDE = (
    "before_send",
    "after_exception",
    "cors_config",
    "csrf_config",
    "compression_config",
    "allowed_hosts",
)


def _layer_findings(app: Litestar, path: str, layers: list[Any]) -> list[str]:
    found = []
    for layer in layers:
        for attr in PER_REQUEST:
            value = getattr(layer, attr, None)
            if layer is app and attr == "middleware":
                value = [m for m in value if m not in ALLOWED_APP_MIDDLEWARE]
            if layer is app and attr == "exception_handlers" and value == {Exception: handle_exception}:
                continue  # the one error table, which the fast path answers from too
            if value:
                found.append(f"{path}: {type(layer).__name__}.{attr}")
    return found


def skipped_layers(app: Litestar) -> list[str]:
    """What Litestar would run for a GET of a hot route that the fast path does not."""
    found = [f"app.{attr}" for attr in APP_WIDE if getattr(app, attr)]
    if getattr(app.asgi_handler, "app", None) is not app.asgi_router:
        found.append("app: something wraps the exception layer around the router")
    seen = set()
    for route in app.routes:
        if route.path not in HOT_PATHS or not isinstance(route, HTTPRoute):
            continue
        seen.add(route.path)
        handler, _ = route.route_handler_map["GET"]
        found += _layer_findings(app, route.path, handler.ownership_layers)
        if build_route_middleware_stack(app=app, route=route, route_handler=handler) != route.handle:
            found.append(f"{route.path}: Litestar builds a middleware stack for it")
    assert seen == HOT_PATHS, "every route of the table is a Litestar route"
    return found


@pytest.fixture
def bound(tmp_path: Path) -> Any:
    return bind_hot_routes(fake_container(Settings(data_dir=tmp_path, train_cron="off")).container)


def test_the_served_app_runs_nothing_per_request_that_the_fast_path_skips(tmp_path: Path) -> None:
    stack = fake_container(Settings(data_dir=tmp_path, train_cron="off"))
    assert skipped_layers(create_app(stack.container, manage_runtime=False).litestar) == []


async def _deny(*_: object) -> None:
    return None


def _noop_middleware(app: ASGIApp) -> ASGIApp:
    return app


def _with_handler_guard(bound: Any) -> Litestar:
    handlers = [litestar_handler(route, use_case) for route, use_case in bound]
    handlers[-1].guards = [_deny]
    return Litestar(handlers)


LAYERED: dict[str, Callable[[Any], Litestar]] = {
    "router guard": lambda bound: Litestar([Router("/", route_handlers=[hot_router(bound)], guards=[_deny])]),
    "app guard": lambda bound: Litestar([hot_router(bound)], guards=[_deny]),
    "handler guard": _with_handler_guard,
    "app middleware": lambda bound: Litestar(
        [hot_router(bound)], middleware=[DefineMiddleware(_noop_middleware)]
    ),
    "router before_request": lambda bound: Litestar(
        [Router("/", route_handlers=[hot_router(bound)], before_request=_deny)]
    ),
    "app after_request": lambda bound: Litestar([hot_router(bound)], after_request=_deny),  # type: ignore[arg-type]
    "app after_response": lambda bound: Litestar([hot_router(bound)], after_response=_deny),
    "app before_send": lambda bound: Litestar([hot_router(bound)], before_send=[_deny]),
    "router exception handler": lambda bound: Litestar(
        [Router("/", route_handlers=[hot_router(bound)], exception_handlers={ValueError: handle_exception})]
    ),
}


@pytest.mark.parametrize("layer", sorted(LAYERED))
def test_the_tripwire_fires_for_each_kind_of_layer(layer: str, bound: Any) -> None:
    assert skipped_layers(LAYERED[layer](bound)) != [], layer


async def test_every_answer_of_either_path_carries_a_request_id(stack: FakeStack) -> None:
    async with client_for(stack.container) as client:
        fast = await client.get("/titles/recommendations", params={"user_id": 2})  # plain: the fast path
        slow = await client.get("/titles/recommendations", params={"user_id": 0})  # Litestar's 400
        other = await client.get("/health")
    assert (fast.status_code, slow.status_code, other.status_code) == (200, 400, 200)
    ids = {answer.headers.get("x-request-id") for answer in (fast, slow, other)}
    assert None not in ids and len(ids) == 3


async def test_cross_cutting_wrappers_apply_outermost_first_to_both_paths(stack: FakeStack) -> None:
    calls: list[str] = []

    def spy(name: str) -> Callable[[ASGIApp], ASGIApp]:
        def wrap(app: ASGIApp) -> ASGIApp:
            async def spied(scope: Any, receive: Any, send: Any) -> None:
                calls.append(f"{name} {scope['type']}")
                await app(scope, receive, send)

            return spied

        return wrap

    litestar = create_app(stack.container, manage_runtime=False).litestar
    served = ServiceApp(
        litestar, with_fast_path(litestar, bind_hot_routes(stack.container)), [spy("a"), spy("b")]
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served), base_url="http://service"
    ) as client:
        assert (await client.get("/titles/recommendations", params={"user_id": 2})).status_code == 200
        assert (await client.get("/titles/recommendations", params={"user_id": "x"})).status_code == 400
    assert calls == ["a http", "b http"] * 2
    assert served.state is litestar.state

"""The hot-route table's GET routes answered before Litestar's routing when their query is plain.

Litestar's route machinery (routing, the handler's kwargs and signature models, the response
object) is about half of a cached request's CPU. For a query that is plain (ASCII, each known
parameter at most once, `%2C` the only escape, every value read by its parameter's `plain` reader,
see `hot_routes.py`) this dispatcher builds the same command from the same table, calls the same
use case and sends the same JSON with the same status and headers. Anything else (another escape,
`+`, an unknown, repeated or empty parameter, a value the route would reject or convert, a command
the table refuses, another method, a `root_path`) goes to Litestar unchanged, so validation errors,
OpenAPI and every other route keep Litestar's behaviour (tests/e2e/test_fast_path.py holds the two
paths to the same answers). An error raised by a use case is answered by the app's one error table.
Cross-cutting concerns sit outside this dispatcher and Litestar alike (`outer.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.errors import InvalidArgumentError
from entrypoints.http.errors import error_answer
from entrypoints.http.hot_handlers import BoundRoutes, UseCase
from entrypoints.http.hot_routes import REQUIRED, HotRoute

_JSON = (b"content-type", b"application/json")
_encode = msgspec.json.Encoder().encode


def plain_query(query_string: bytes, keys: frozenset[str]) -> dict[str, str] | None:
    """The parameters of a plain query (see the module's docstring), or None to let Litestar parse it."""
    if not query_string:
        return {}
    if b"%" in query_string:
        query_string = query_string.replace(b"%2C", b",").replace(b"%2c", b",")
        if b"%" in query_string:
            return None
    if b"+" in query_string or not query_string.isascii():
        return None
    params: dict[str, str] = {}
    for part in query_string.decode("ascii").split("&"):
        key, sep, value = part.partition("=")
        if not sep or not value or key not in keys or key in params:
            return None
        params[key] = value
    return params


def command_reader(route: HotRoute) -> Callable[[dict[str, str]], Any]:
    """What reads the use case's command from plain parameters (only known names, see `plain_query`),
    or None when Litestar should answer. It visits the parameters given, not every one declared."""
    positions = {param.name: (index, param.plain) for index, param in enumerate(route.params)}
    defaults = tuple(param.default for param in route.params)
    required = frozenset(param.name for param in route.params if param.default is REQUIRED)
    command = route.command

    def read(params: dict[str, str]) -> Any:
        if not required <= params.keys():
            return None
        values = list(defaults)
        for name, raw in params.items():
            index, plain = positions[name]
            value = plain(raw)
            if value is None:
                return None
            values[index] = value
        try:
            return command(*values)
        except InvalidArgumentError:  # Litestar's handler raises it again and answers with its path
            return None

    return read


@dataclass(frozen=True, slots=True)
class _Dispatch:
    route: HotRoute
    keys: frozenset[str]
    read: Callable[[dict[str, str]], Any]
    answer: Callable[[Any], Awaitable[bytes]]  # the JSON body of the use case's answer to a command


def _dispatch(route: HotRoute, use_case: UseCase) -> _Dispatch:
    async def answer(command: Any) -> bytes:
        return _encode(route.body(await use_case.execute(command)))

    return _Dispatch(route, frozenset(param.name for param in route.params), command_reader(route), answer)


def with_fast_path(app: ASGIApp, bound: BoundRoutes) -> ASGIApp:
    """`app` with the GET routes of `bound` answered first when their query is plain."""
    routes = {path: _dispatch(route, use_case) for route, use_case in bound for path in route.paths}

    async def fast(scope: Scope, receive: Receive, send: Send) -> None:
        dispatch = routes.get(scope.get("path", ""))
        if (
            dispatch is not None
            and scope["type"] == ScopeType.HTTP
            and scope["method"] == "GET"
            and not scope.get("root_path")
        ):
            params = plain_query(scope["query_string"], dispatch.keys)
            command = None if params is None else dispatch.read(params)
            if command is not None:
                await _answer(dispatch, command, scope["path"], send)
                return
        await app(scope, receive, send)

    return fast


async def _answer(dispatch: _Dispatch, command: object, path: str, send: Send) -> None:
    try:
        body = await dispatch.answer(command)
    except Exception as exc:  # the app's error table, as Litestar's exception handler would answer
        status, error = error_answer(exc, path)
        await _send_json(status, _encode(error), send)
        return
    await _send_json(dispatch.route.status, body, send)


async def _send_json(status: int, body: bytes, send: Send) -> None:
    headers = [_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})

"""The two read routes answered before Litestar's routing when their query is plain.

A cached `/titles/recommendations` costs the service about 60 us of CPU under Granian's one Python
thread, of which Litestar's route machinery (routing, the handler's kwargs model, the msgspec
signature model, the response object and its ASGI messages) is about a third. For a request whose
query is plain (ASCII, each known parameter at most once, ids and `k` written as plain positive
decimals in range) this wrapper parses the query itself, calls the same use case as the route and
sends the same JSON with the same headers. Anything else (a percent-escape other than `%2C`, `+`,
an unknown or repeated parameter, a value the route would reject or convert) goes to Litestar
unchanged, so validation errors, OpenAPI and every other route keep Litestar's behaviour; the
routes in `routes_public.py` stay the definition (tests/e2e/test_fast_reads.py holds the two paths
to the same answers). An error raised by a use case is answered by the app's one error table.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from application.recommend_for_user import RecommendForUser, RecommendQuery
from application.relevant_titles import RelevantQuery, RelevantTitles
from domain.errors import InvalidArgumentError
from domain.ids import DEFAULT_K, MAX_ID, MAX_K, parse_id_list
from domain.recommendation import Recommendations
from entrypoints.http.errors import error_answer
from entrypoints.http.schemas import RelevantTitlesBody, UserRecommendations

_PLAIN_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
_RECOMMENDATION_KEYS = frozenset({"user_id", "k", "exclude"})
_RELEVANT_KEYS = frozenset({"title_id", "k"})
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


def _number(value: str | None, default: int | None, high: int) -> int | None:
    """`value` as an int in 1..high, `default` when absent, None when not a plain number in range."""
    if value is None:
        return default
    if _PLAIN_NUMBER.fullmatch(value) is None:
        return None
    number = int(value)
    return number if number <= high else None


def recommend_query(params: dict[str, str]) -> RecommendQuery | None:
    user_id = _number(params.get("user_id"), None, MAX_ID)
    k = _number(params.get("k"), DEFAULT_K, MAX_K)
    if user_id is None or k is None:
        return None
    try:
        exclude = parse_id_list(params.get("exclude"), "exclude")
    except InvalidArgumentError:
        return None
    return RecommendQuery(user_id, k, exclude)


def relevant_query(params: dict[str, str]) -> RelevantQuery | None:
    title_id = _number(params.get("title_id"), None, MAX_ID)
    k = _number(params.get("k"), DEFAULT_K, MAX_K)
    if title_id is None or k is None:
        return None
    return RelevantQuery(title_id, k)


def with_fast_reads(
    app: ASGIApp, recommend_for_user: RecommendForUser, relevant_titles: RelevantTitles
) -> ASGIApp:
    """`app` with GET `/titles/recommendations` and `/titles/relevant` (`relavant`) answered first."""

    async def fast(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET" and not scope.get("root_path"):
            if path == "/titles/recommendations":
                params = plain_query(scope["query_string"], _RECOMMENDATION_KEYS)
                query = None if params is None else recommend_query(params)
                if query is not None:
                    await _answer(recommend_for_user.execute(query), UserRecommendations.of, path, send)
                    return
            elif path in ("/titles/relevant", "/titles/relavant"):
                params = plain_query(scope["query_string"], _RELEVANT_KEYS)
                relevant = None if params is None else relevant_query(params)
                if relevant is not None:
                    await _answer(relevant_titles.execute(relevant), RelevantTitlesBody.of, path, send)
                    return
        await app(scope, receive, send)

    return fast


async def _answer(
    result: Awaitable[Recommendations],
    body: Callable[[Recommendations], msgspec.Struct],
    path: str,
    send: Send,
) -> None:
    try:
        encoded = _encode(body(await result))
    except Exception as exc:  # the app's error table, as Litestar's exception handler would answer
        await _send_error(exc, path, send)
        return
    await _send_json(200, encoded, send)


async def _send_error(exc: Exception, path: str, send: Send) -> None:
    status, error = error_answer(exc, path)
    await _send_json(status, _encode(error), send)


async def _send_json(status: int, body: bytes, send: Send) -> None:
    headers = [_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})

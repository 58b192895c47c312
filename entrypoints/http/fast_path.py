"""The three hottest GET routes answered before Litestar's routing when their query is plain.

A cached `/titles/recommendations` cost the service about 63 us of CPU driven in-process
(`bench.serve_inprocess`, no server), of which Litestar's route machinery (routing, the handler's
kwargs model, the msgspec signature model, the response object and its ASGI messages) was about
half: 31 us without it. For a request whose
query is plain (ASCII, each known parameter at most once, ids and `k` written as plain positive
decimals in range, `raw_score` as a plain decimal) this wrapper parses the query itself, calls the
same use case as the route and sends the same JSON with the same status and headers. Anything else
(a percent-escape other than `%2C`, `+`, an unknown or repeated parameter, a value the route would
reject or convert, another method, a `root_path`) goes to Litestar unchanged, so validation errors,
OpenAPI and every other route keep Litestar's behaviour; the routes in `routes_public.py` and
`routes_hot.py` stay the definition (tests/e2e/test_fast_path.py holds the two paths to the same
answers). An error raised by a use case is answered by the app's one error table.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from application.recommend_for_user import RecommendForUser, RecommendQuery
from application.record_interaction import InteractionCommand, RecordInteraction
from application.relevant_titles import RelevantQuery, RelevantTitles
from domain.errors import InvalidArgumentError
from domain.ids import DEFAULT_K, MAX_ID, MAX_K, parse_id_list
from entrypoints.http.errors import error_answer
from entrypoints.http.routes_hot import Accepted
from entrypoints.http.schemas import RelevantTitlesBody, UserRecommendations

_PLAIN_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
_PLAIN_SCORE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_JSON = (b"content-type", b"application/json")
_encode = msgspec.json.Encoder().encode
_ACCEPTED = _encode(Accepted(True))


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


def interaction_command(params: dict[str, str]) -> InteractionCommand | None:
    """The event of a plain query; the use case then validates `int_type` and `raw_score` as the
    route's call does."""
    user_id = _number(params.get("user_id"), None, MAX_ID)
    title_id = _number(params.get("title_id"), None, MAX_ID)
    int_type, raw_score = params.get("int_type"), params.get("raw_score")
    if user_id is None or title_id is None or int_type is None or _PLAIN_NAME.fullmatch(int_type) is None:
        return None
    if raw_score is None:
        return InteractionCommand(user_id, title_id, int_type)
    if _PLAIN_SCORE.fullmatch(raw_score) is None:
        return None
    return InteractionCommand(user_id, title_id, int_type, float(raw_score))


@dataclass(frozen=True, slots=True)
class _Route:
    keys: frozenset[str]
    parse: Callable[[dict[str, str]], Any]  # the use case's query, or None: leave it to Litestar
    answer: Callable[[Any], Awaitable[bytes]]  # the JSON body of the use case's result
    status: int = 200


def with_fast_path(
    app: ASGIApp,
    recommend_for_user: RecommendForUser,
    relevant_titles: RelevantTitles,
    record_interaction: RecordInteraction,
) -> ASGIApp:
    """`app` with GET `/titles/recommendations`, `/titles/relevant` (`relavant`) and
    `/rec/hot/interact` answered first when their query is plain."""

    async def recommendations(query: RecommendQuery) -> bytes:
        return _encode(UserRecommendations.of(await recommend_for_user.execute(query)))

    async def relevant(query: RelevantQuery) -> bytes:
        return _encode(RelevantTitlesBody.of(await relevant_titles.execute(query)))

    async def interact(command: InteractionCommand) -> bytes:
        await record_interaction.execute(command)
        return _ACCEPTED

    similar = _Route(frozenset({"title_id", "k"}), relevant_query, relevant)
    routes = {
        "/titles/recommendations": _Route(
            frozenset({"user_id", "k", "exclude"}), recommend_query, recommendations
        ),
        "/titles/relevant": similar,
        "/titles/relavant": similar,
        "/rec/hot/interact": _Route(
            frozenset({"user_id", "title_id", "int_type", "raw_score"}), interaction_command, interact, 202
        ),
    }

    async def fast(scope: Scope, receive: Receive, send: Send) -> None:
        route = routes.get(scope.get("path", ""))
        if (
            route is not None
            and scope["type"] == ScopeType.HTTP
            and scope["method"] == "GET"
            and not scope.get("root_path")
        ):
            params = plain_query(scope["query_string"], route.keys)
            query = None if params is None else route.parse(params)
            if query is not None:
                await _answer(route, query, scope["path"], send)
                return
        await app(scope, receive, send)

    return fast


async def _answer(route: _Route, query: object, path: str, send: Send) -> None:
    try:
        body = await route.answer(query)
    except Exception as exc:  # the app's error table, as Litestar's exception handler would answer
        status, error = error_answer(exc, path)
        await _send_json(status, _encode(error), send)
        return
    await _send_json(route.status, body, send)


async def _send_json(status: int, body: bytes, send: Send) -> None:
    headers = [_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})

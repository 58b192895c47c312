"""The three hottest GET routes, each declared once.

Both their Litestar handlers (`hot_handlers.py`: validation, error bodies, OpenAPI) and the fast
path's parsers (`fast_path.py`: plain queries answered before Litestar's routing) are made from this
table, so a path, a parameter, a bound, a default, the use case or the response cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from application.recommend_for_user import RecommendQuery
from application.record_interaction import InteractionCommand
from application.relevant_titles import RelevantQuery
from domain.ids import DEFAULT_K, MAX_ID, MAX_K, parse_id_list
from domain.title_filter import MAX_FILTER_NAMES, NO_FILTER, TitleFilter
from entrypoints.http.schemas import RelevantTitlesBody, UserRecommendations

REQUIRED: Any = object()
"""The default of a parameter the request must carry."""

_PLAIN_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
_PLAIN_SCORE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_PLAIN_FEATURE = re.compile(r"[A-Za-z0-9_.:-]{1,255}")  # genre:Action; anything else: Litestar decodes
_PLAIN_RECOMMENDATION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter. `plain` reads a value written plainly (the value Litestar would give),
    or returns None when the value is anything else, so that Litestar parses (or rejects) it."""

    name: str
    kind: Any  # the handler's annotation without its QueryParameter: int, str | None, ...
    description: str
    plain: Callable[[str], Any]
    default: Any = REQUIRED
    ge: int | None = None
    le: int | None = None


class Accepted(msgspec.Struct):
    accepted: bool


@dataclass(frozen=True, slots=True)
class HotRoute:
    """One GET route. `command` turns the parsed parameters (in the order of `params`) into the use
    case's query or command and may raise the error tree's `InvalidArgumentError`; `body` turns its
    result into the response body."""

    name: str  # the handler's name, which Litestar's OpenAPI operationId is made from
    paths: tuple[str, ...]
    params: tuple[Param, ...]
    use_case: str  # the container's provider
    command: Callable[..., Any]
    body_type: type[msgspec.Struct]
    body: Callable[[Any], msgspec.Struct]
    summary: str
    tags: tuple[str, ...]
    status: int = 200
    description: str | None = None


def _plain_match(pattern: re.Pattern[str], convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """The reader of values written as `pattern` says, converted (None: let Litestar read it)."""

    def plain(value: str) -> Any:
        return None if pattern.fullmatch(value) is None else convert(value)

    return plain


def _plain_int(high: int) -> Callable[[str], int | None]:
    def at_most_high(value: str) -> int | None:
        number = int(value)
        return number if number <= high else None

    return _plain_match(_PLAIN_NUMBER, at_most_high)


def _id(name: str, whose: str) -> Param:
    return Param(name, int, f"Positive 64-bit {whose} id", _plain_int(MAX_ID), ge=1, le=MAX_ID)


def _matched(
    name: str,
    kind: Any,
    description: str,
    pattern: re.Pattern[str],
    convert: Callable[[str], Any],
    default: Any = REQUIRED,
) -> Param:
    """A parameter whose plain values are those `pattern` matches, read by `convert`."""
    return Param(name, kind, description, _plain_match(pattern, convert), default)


def _one_name(value: str) -> tuple[str, ...]:
    return (value,)  # the fast path takes a filter given once; repeated ones go to Litestar


_K = Param("k", int, f"List size, 1..{MAX_K}", _plain_int(MAX_K), DEFAULT_K, ge=1, le=MAX_K)
_EXCLUDE = Param(
    "exclude", str | None, "Comma-separated title ids the client already shows", str, default=None
)
_INT_TYPE = _matched(
    "int_type", str, "A key of REC_INTERACTION_WEIGHTS (default: rating, view, bookmark)", _PLAIN_NAME, str
)
_RAW_SCORE = _matched(
    "raw_score",
    float | None,
    "The score of a rating (required and finite for int_type=rating)",
    _PLAIN_SCORE,
    float,
    default=None,
)
_FEATURE = _matched(
    "feature",
    list[str] | None,
    "Repeatable: only titles having at least one of these features (as the source spells them, "
    f"e.g. genre:Action) qualify; at most {MAX_FILTER_NAMES} feature and not_feature values in all",
    _PLAIN_FEATURE,
    _one_name,
    default=None,
)
_NOT_FEATURE = _matched(
    "not_feature",
    list[str] | None,
    "Repeatable: titles having any of these features are left out",
    _PLAIN_FEATURE,
    _one_name,
    default=None,
)
_RECOMMENDATION_ID = _matched(
    "recommendation_id",
    str | None,
    "The recommendation_id of the list the event came from (an unknown or malformed one is accepted, "
    "unattributed)",
    _PLAIN_RECOMMENDATION_ID,
    str,
    default=None,
)
ACCEPTED = (
    "202 once the event is committed to the registry: the title leaves the user's lists at once and "
    "the user's list moves toward it; 400 for an unknown int_type or a rating without a finite score"
)
LISTS = (
    "Every answer carries a recommendation_id; pass it with the hot events of this list. "
    f"400 for a bad id, k, exclude, or more than {MAX_FILTER_NAMES} feature and not_feature values"
)


def _recommend(
    user_id: int,
    k: int,
    exclude: str | None,
    feature: list[str] | tuple[str, ...] | None,
    not_feature: list[str] | tuple[str, ...] | None,
) -> RecommendQuery:
    wanted = TitleFilter.of(feature, not_feature) if feature or not_feature else NO_FILTER
    return RecommendQuery(user_id, k, parse_id_list(exclude, "exclude"), wanted)


def _relevant(
    title_id: int,
    k: int,
    feature: list[str] | tuple[str, ...] | None,
    not_feature: list[str] | tuple[str, ...] | None,
) -> RelevantQuery:
    return RelevantQuery(title_id, k, TitleFilter.of(feature, not_feature))


def _accepted(_: object) -> Accepted:
    return Accepted(True)


RECOMMENDATIONS = HotRoute(
    name="recommendations",
    paths=("/titles/recommendations",),
    params=(_id("user_id", "user"), _K, _EXCLUDE, _FEATURE, _NOT_FEATURE),
    use_case="recommend_for_user",
    command=_recommend,
    body_type=UserRecommendations,
    body=UserRecommendations.of,
    summary="Personal recommendations for a user",
    tags=("recommendations",),
    description=LISTS,
)
RELEVANT = HotRoute(
    name="relevant",
    paths=("/titles/relevant", "/titles/relavant"),  # the misspelling is part of the public API
    params=(_id("title_id", "title"), _K, _FEATURE, _NOT_FEATURE),
    use_case="relevant_titles",
    command=_relevant,
    body_type=RelevantTitlesBody,
    body=RelevantTitlesBody.of,
    summary="Titles similar to a title",
    tags=("recommendations",),
    description=f"{LISTS}; 404 for a title absent from the catalogue",
)
HOT_INTERACTION = HotRoute(
    name="interact_get",
    paths=("/rec/hot/interact",),
    params=(_id("user_id", "user"), _id("title_id", "title"), _INT_TYPE, _RAW_SCORE, _RECOMMENDATION_ID),
    use_case="record_interaction",
    command=InteractionCommand,
    body_type=Accepted,
    body=_accepted,
    summary="Record a hot interaction",
    tags=("interactions",),
    status=202,
    description=ACCEPTED,
)
HOT_ROUTES = (RECOMMENDATIONS, RELEVANT, HOT_INTERACTION)

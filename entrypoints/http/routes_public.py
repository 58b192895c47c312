"""Recommendations, relevant titles and health.

The two read routes are bound to their use cases when the app is built: Litestar's per-request
dependency resolution (even of a cached `Provide`) cost about 12 us of a cached request's ~250 us
of CPU, the largest share of the framework's own work after the server's.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.check_health import CheckHealth
from application.recommend_for_user import RecommendForUser, RecommendQuery
from application.relevant_titles import RelevantQuery, RelevantTitles
from domain.ids import MAX_ID, MAX_K, parse_id_list
from entrypoints.http.schemas import HealthBody, LiveBody, ReadyBody, RelevantTitlesBody, UserRecommendations

UserId = Annotated[int, QueryParameter(ge=1, le=MAX_ID, description="Positive 64-bit user id")]
TitleId = Annotated[int, QueryParameter(ge=1, le=MAX_ID, description="Positive 64-bit title id")]
K = Annotated[int, QueryParameter(ge=1, le=MAX_K, description="List size, 1..200")]
Exclude = Annotated[
    str | None, QueryParameter(description="Comma-separated title ids the client already shows")
]


def recommendation_routes(recommend_for_user: RecommendForUser, relevant_titles: RelevantTitles) -> Router:
    """`/titles/recommendations` and `/titles/relevant` (also spelled `relavant`), bound to their use
    cases."""

    @get("/titles/recommendations", summary="Personal recommendations for a user")
    async def recommendations(user_id: UserId, k: K = 10, exclude: Exclude = None) -> UserRecommendations:
        query = RecommendQuery(user_id, k, parse_id_list(exclude, "exclude"))
        return UserRecommendations.of(await recommend_for_user.execute(query))

    @get(["/titles/relevant", "/titles/relavant"], summary="Titles similar to a title")
    async def relevant(title_id: TitleId, k: K = 10) -> RelevantTitlesBody:
        return RelevantTitlesBody.of(await relevant_titles.execute(RelevantQuery(title_id, k)))

    return Router("/", route_handlers=[recommendations, relevant], tags=["recommendations"])


class HealthController(Controller):
    tags = ["health"]

    @get("/health", summary="Component health; 'degraded' when a component is down or no model is active")
    async def health(self, check_health: NamedDependency[CheckHealth]) -> HealthBody:
        return HealthBody.of(await check_health.execute())

    @get("/health/live", summary="200 while the process answers; checks no dependency (liveness)")
    async def live(self) -> LiveBody:
        return LiveBody()

    @get("/health/ready", summary="200 once requests can be answered, 503 before")
    async def ready(self, check_health: NamedDependency[CheckHealth]) -> Response[ReadyBody]:
        ok = check_health.ready()
        return Response(ReadyBody(ok), status_code=200 if ok else 503)

"""Read routes for operators (contract 4.3, v2): titles by id, a user's history and features, and
the list any version would give a user now."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from application.admin_views import MAX_HISTORY, MAX_TITLE_IDS, AdminViews, TitleView, UserView
from application.recommend_for_user import RecommendQuery
from application.trainer_status import TrainerStatus, TrainerView
from application.version_recommendations import VersionRecommendations
from domain.ids import DEFAULT_K, MAX_ID, MAX_K, parse_id, parse_id_list, parse_k
from domain.title_filter import TitleFilter
from entrypoints.http.auth import admin_guard
from entrypoints.http.documented_errors import ADMIN, errors
from entrypoints.http.schemas import UserRecommendations, iso

# Ids are read as text and parsed by the domain's rule (other scripts' digits and huge numbers: 400).
UserPath = Annotated[str, PathParameter(description=f"User id, 1..{MAX_ID}", max_length=64)]


class TitleDetails(msgspec.Struct):
    title_id: int
    name: str
    is_active: bool
    blacklisted: bool
    features: dict[str, float]
    known_to_model: bool

    @classmethod
    def of(cls, view: TitleView) -> TitleDetails:
        r = view.record
        return cls(r.title_id, r.name, r.is_active, view.blacklisted, dict(r.features), view.known_to_model)


class TitleDetailsList(msgspec.Struct):
    titles: list[TitleDetails]


class UserInteraction(msgspec.Struct):
    title_id: int
    int_type: str
    raw_score: float | None
    created_at: str
    source: Literal["source", "hot"]


class UserDetails(msgspec.Struct):
    user_id: int
    known_to_model: bool
    features: dict[str, float]
    interactions: list[UserInteraction]

    @classmethod
    def of(cls, view: UserView) -> UserDetails:
        events = [
            UserInteraction(
                h.event.title_id, h.event.int_type, h.event.raw_score, iso(h.event.created_at) or "",
                h.origin.value,
            )
            for h in view.interactions
        ]  # fmt: skip
        return cls(view.user_id, view.known_to_model, dict(view.features), events)


class ThisReplica(msgspec.Struct):
    holder: str
    """This process as it writes itself into the lease row."""
    candidate: bool
    """REC_TRAIN_CRON is not off: it may take the lease."""
    is_trainer: bool
    """It counts itself the trainer now (the rec_trainer_leader gauge)."""


class TrainerBody(msgspec.Struct):
    shared: bool
    """A lease row is used (false: a process alone with its registry, always its own trainer)."""
    holder: str | None
    """The process holding the lease (null: never taken, or released at shutdown)."""
    epoch: int | None
    """The lease's term, the fencing token of the trainer's writes."""
    expires_at: str | None
    live: bool
    """A live trainer holds the lease: immediate trainings are accepted."""
    this_replica: ThisReplica
    checked_at: str

    @classmethod
    def of(cls, view: TrainerView) -> TrainerBody:
        lease = view.lease
        held = lease is not None and lease.holder is not None
        return cls(
            shared=lease is not None,
            holder=lease.holder if lease is not None else view.replica,
            epoch=lease.epoch if lease is not None else None,
            expires_at=iso(lease.expires_at) if held and lease is not None else None,
            live=view.live,
            this_replica=ThisReplica(view.replica, view.candidate, view.is_trainer),
            checked_at=iso(view.checked_at) or "",
        )


def _ids(text: str) -> Iterable[int]:
    """`1,2,3` in the order written (the domain's id rule for each)."""
    return [parse_id(part, "ids") for part in text.split(",") if part.strip()]


class AdminReadController(Controller):
    path = "/admin"
    tags = ["admin"]
    guards = [admin_guard]

    @get(
        "/titles",
        summary="Catalogue titles by id: name, features, state, whether the active model knows them",
        description=f"At most {MAX_TITLE_IDS} ids; ids not in the catalogue are left out of the answer.",
        responses=errors(*ADMIN, 503),
    )
    async def titles(
        self,
        admin_views: NamedDependency[AdminViews],
        ids: Annotated[
            str, QueryParameter(description=f"Comma-separated title ids, 1 to {MAX_TITLE_IDS} of them")
        ],
    ) -> TitleDetailsList:
        return TitleDetailsList([TitleDetails.of(v) for v in await admin_views.titles(list(_ids(ids)))])

    @get(
        "/users/{user_id:str}",
        summary="A user's interactions (source and hot, newest first) and features",
        description=f"At most {MAX_HISTORY} interactions; an unknown user gets 200 with empty lists.",
        responses=errors(*ADMIN, 503),
    )
    async def user(self, admin_views: NamedDependency[AdminViews], user_id: UserPath) -> UserDetails:
        return UserDetails.of(await admin_views.user(parse_id(user_id, "user_id")))

    @get(
        "/trainer",
        summary="Which process holds the trainer lease, and this replica's part in it",
        description=(
            "The lease as stored in the registry (holder, term, expiry) and whether the replica "
            "answering is a candidate and counts itself the trainer. 503 when the registry is down."
        ),
        responses=errors(*ADMIN, 503),
    )
    async def trainer(self, trainer_status: NamedDependency[TrainerStatus]) -> TrainerBody:
        return TrainerBody.of(await trainer_status.execute())

    @get(
        "/models/{model_id:str}/recommendations",
        summary="The list this version would give the user now, active or not (never cached)",
        description=(
            "The public route's rules, filters and shape, with cached false. A preview, not a served "
            "list: its recommendation_id is empty and it is not counted."
        ),
        responses=errors(*ADMIN, 404, 409, 503),
    )
    async def version_list(
        self,
        version_recommendations: NamedDependency[VersionRecommendations],
        model_id: Annotated[str, PathParameter(description="A model version's id", max_length=200)],
        user_id: Annotated[str, QueryParameter(description=f"User id, 1..{MAX_ID}")],
        k: Annotated[
            str | None, QueryParameter(description=f"List size, 1..{MAX_K} (default {DEFAULT_K})")
        ] = None,
        exclude: Annotated[
            str | None, QueryParameter(description="Comma-separated title ids to leave out")
        ] = None,
        feature: Annotated[
            list[str] | None,
            QueryParameter(description="Repeatable: only titles having one of these features qualify"),
        ] = None,
        not_feature: Annotated[
            list[str] | None,
            QueryParameter(description="Repeatable: titles having any of these are left out"),
        ] = None,
    ) -> UserRecommendations:
        query = RecommendQuery(
            parse_id(user_id, "user_id"),
            parse_k(k),
            parse_id_list(exclude, "exclude"),
            TitleFilter.of(feature, not_feature),
        )
        return UserRecommendations.of(await version_recommendations.execute(model_id, query))
